/** Figures: pure builders (data -> Plotly spec), notebook display, static export. */
export type { AxisSpec, FigureSpec, Layout, Trace } from './spec';
export { axisTitle, validateFigure } from './spec';
export type { Series, FigureOptions } from './figures';
export { lineFigure, scatterFigure, barFigure, heatmapFigure, DEFAULT_WIDTH, DEFAULT_HEIGHT } from './figures';
export type { Band, Panel, PanelOptions } from './panels';
export { panelFigure } from './panels';
export { plotlyBundlePath, figureDivHtml, standaloneHtml } from './html';
export type { ExportResult, ImageOptions } from './export';
export { chromiumPath, renderImage, exportFigure, closeExporter } from './export';
export type { ShowFigureOptions } from './show';
export { showFigure, resetPlotlyBundle } from './show';
