#pragma once

// Pictures of the views for papers and reports: PNG (at a chosen scale), SVG (with a title and a
// description) and PDF, all three painted by the same vector drawing so that they look alike and
// as the view does on screen. One path serves the window's File > Export menu, the views'
// context menus, `footprint-cli chart` and the report (heaptrack's chartwidget.cpp and
// massif-visualizer's charttab.cpp export the same way).

#include "session.h"

#include <QByteArray>
#include <QJsonObject>
#include <QSizeF>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

class QPainter;

namespace fp {

class GraphView;
class LayerBarChart;
class RooflineChart;
class TimelineChart;

enum class PictureFormat { Png, Svg, Pdf };
// From the file's suffix (.png, .svg, .pdf, any case); empty for anything else.
std::optional<PictureFormat> pictureFormatForPath(const QString& path);

// A view as something to draw: a size in logical pixels and a function that paints it into
// QRectF(QPointF(0, 0), size) on a white page. The title is drawn above the view and becomes the
// file's title (SVG <title>, PDF and PNG metadata); the description says what the picture shows
// (SVG <desc>, PDF subject, PNG "Description").
struct Picture {
    QString title;
    QString description;
    QSizeF size;
    std::function<void(QPainter&)> paint;

    bool isNull() const { return !paint || size.isEmpty(); }
};

// PNGs are limited to this many pixels a side and in all (a 160 MB image while drawing); a larger
// scale is reduced to fit.
constexpr int kMaxPngSide = 16384;
constexpr qint64 kMaxPngPixels = 40'000'000;

// The picture as a PNG, SVG or PDF file's bytes. `scale` multiplies the PNG's pixels (2: crisp
// on a high-DPI screen or in print); SVG and PDF are vectors and ignore it. Empty, with
// `error` set, when the picture cannot be drawn.
QByteArray encodePicture(const Picture& picture, PictureFormat format, double scale = 2.0, QString* error = nullptr);
// The PNG's pixel size for `picture` at `scale`, after the kMaxPngSide and kMaxPngPixels limits.
QSize pngSize(const Picture& picture, double scale);

// The default logical size of an exported chart: a figure's proportions, readable at a page's width.
constexpr QSize kChartExportSize(1200, 700);

// The per-layer bars, drawn by a new chart off screen at `size` (logical pixels), so a hidden or
// never-shown chart exports as it would look at that size. `like`, when given, lends its
// metric, bar count, order and selection.
Picture barChartPicture(const Session& source, QSize size = kChartExportSize, const LayerBarChart* like = nullptr);
// The memory timeline with the budget as its limit line; `like` lends its zoom, measured trace
// and pinned comparison (not its selection: the marks of a selected layer mean nothing on paper).
Picture timelinePicture(const Session& source, QSize size = kChartExportSize, const TimelineChart* like = nullptr);
// The roofline on the session's device; a null picture without a device (there is no roof).
// `like` lends its selection.
Picture rooflinePicture(const Session& source, QSize size = kChartExportSize, const RooflineChart* like = nullptr);
// One configuration of a sweep (footprint-cli sweep): a batch at a precision and its peak.
struct SweepPoint {
    int64_t batch = 1;
    Precision precision = Precision::Model;
    int64_t peakBytes = 0;
};
// Peak memory against batch size (log scale), a line per precision, with the budget (if
// `budgetBytes` > 0, named `budgetName`) as a dashed line and the configurations above it
// marked. `subtitle` says what else was fixed (mode, optimizer...).
Picture sweepPicture(const QString& modelName, const QString& subtitle, const std::vector<SweepPoint>& points,
                     int64_t budgetBytes, const QString& budgetName, QSize size = kChartExportSize);

// The graph as `view` has laid it out (its open groups, metric and colours), whole, under its
// colour legend. A null picture while the view has no layout.
Picture graphPicture(const Session& source, const GraphView& view);
// Lays `session`'s model out in `view` (the groups a new view opens with: the collapsed overview
// for a large model) and waits for Graphviz; false after `timeoutMs` or a failed layout. For
// front ends without a window (footprint-cli); a window uses its own, already laid-out view.
bool layOutGraph(GraphView& view, const Session& source, int timeoutMs = 60000);

// Writes `bytes` to `path` through a temporary file renamed into place, so a failed write leaves
// no half file behind. Refuses to replace an existing file unless `replace`. Returns an error
// message naming the file and the reason, or an empty string on success.
QString saveFile(const QString& path, const QByteArray& bytes, bool replace);

} // namespace fp
