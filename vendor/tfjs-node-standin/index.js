'use strict';
// Re-export the pure-JS union package so danfojs-node shares the project's single tfjs-core.
const tf = require('@tensorflow/tfjs');
module.exports = Object.assign({}, tf, { isStandIn: true });
