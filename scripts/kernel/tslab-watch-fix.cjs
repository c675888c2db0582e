'use strict';
/**
 * Preloaded into the tslab kernel (node --require) by tslab-kernel.sh.
 *
 * Bug worked around (tslab 1.0.22): tslab drives TypeScript's watch compiler with fake timers that it flushes
 * itself when a cell runs, and it allows only ONE pending timer ("Unexpected pending rebuildTimer"). When a file
 * appears under a watched folder (e.g. a new file in src/ while a notebook is open), TypeScript schedules a
 * second timer (failed-lookup invalidation) and from then on EVERY cell of the session fails until a restart.
 *
 * Fix: tslab builds its compiler host as Object.create(ts.sys) and assigns own setTimeout/clearTimeout. An
 * accessor on ts.sys intercepts those assignments and wraps them, so TypeScript may have any number of
 * timers while tslab sees at most one: all pending callbacks run, in order, when tslab flushes it (callbacks
 * scheduled during the flush run in the same flush, as tslab compiles synchronously anyway).
 */
const path = require('path');

function loadTs() {
  const tslabDir = path.dirname(require.resolve('tslab/package.json', { paths: [process.cwd()] }));
  return require(require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] }));
}

function install(ts) {
  const base = ts.sys;
  if (!base || base.__starTimerFix) return;
  const origSet = base.setTimeout;
  const origClear = base.clearTimeout;
  const state = new WeakMap(); // host -> { set, clear, real, queue }

  function stateOf(host) {
    let s = state.get(host);
    if (!s) state.set(host, (s = { set: null, clear: null, real: null, queue: [] }));
    return s;
  }

  function wrappedSet(callback) {
    const s = state.get(this);
    if (!s || !s.set || !s.clear) return s && s.set ? s.set.call(this, callback) : origSet.apply(this, arguments);
    const handle = { callback, done: false };
    s.queue.push(handle);
    if (!s.real) {
      const host = this;
      s.real = s.set.call(host, () => {
        // Flush: run every queued callback, including ones queued while flushing.
        while (s.queue.length) {
          const h = s.queue.shift();
          if (!h.done) {
            h.done = true;
            h.callback();
          }
        }
        s.real = null;
      });
    }
    return handle;
  }

  function wrappedClear(handle) {
    const s = state.get(this);
    if (!s || !s.clear) return origClear.apply(this, arguments);
    if (!handle || typeof handle !== 'object' || !('done' in handle)) return s.clear.call(this, handle);
    handle.done = true;
    s.queue = s.queue.filter((h) => h !== handle);
    if (s.queue.length === 0 && s.real) {
      s.clear.call(this, s.real);
      s.real = null;
    }
  }

  Object.defineProperty(base, 'setTimeout', {
    configurable: true,
    get() {
      const s = this !== base && state.get(this);
      return s && s.set && s.clear ? wrappedSet : s && s.set ? s.set : origSet;
    },
    set(fn) {
      if (this === base) return;
      stateOf(this).set = fn;
    },
  });
  Object.defineProperty(base, 'clearTimeout', {
    configurable: true,
    get() {
      const s = this !== base && state.get(this);
      return s && s.set && s.clear ? wrappedClear : s && s.clear ? s.clear : origClear;
    },
    set(fn) {
      if (this === base) return;
      stateOf(this).clear = fn;
    },
  });
  Object.defineProperty(base, '__starTimerFix', { value: true });
}

try {
  install(loadTs());
} catch (e) {
  // Never stop the kernel from starting: without the fix only the rare watched-folder case fails.
  process.stderr.write(`tslab-watch-fix: not installed (${e && e.message})\n`);
}
