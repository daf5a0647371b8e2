#pragma once

// Per-layer precision (issue 19) as the views mark it: which --layer-precision rule a node falls
// under, its badge's colours, and the layer table's name cell with the badge.

#include "config.h"
#include "graph.h"

#include <QColor>
#include <QString>
#include <QStyledItemDelegate>

#include <string>
#include <vector>

namespace fp {

// Per graph node, the index of the last of `rules` that matches it (its name, or one of its
// enclosing scopes, as the analysis matches --layer-precision), or -1. Patterns without a star
// are looked up, not matched, so a quantization plan's hundreds of one-layer rules stay cheap.
std::vector<int> matchingPrecisionRules(const Graph& graph, const std::vector<LayerPrecision>& rules);

// The rule a scope group's context menu writes: "/layer4/*" for the group "layer4" (every node
// inside, at any depth; the pattern the analysis matches against node names and scopes).
std::string groupPrecisionPattern(const QString& groupPath);

// "int8", as the command line spells it.
QString precisionLabel(Precision precision);
// The badge's fill: warm for the integer precisions, cool for the float ones.
QColor precisionBadgeColor(Precision precision);

// Paints a small badge (`text`) at the right end of `rect`, vertically centred; returns its
// width, so the caller keeps its own text clear of it.
int paintPrecisionBadge(QPainter* painter, const QRectF& rect, const QString& text, const QColor& fill);

// The layer table's name cell: the name, elided as the view elides it, and a badge with the
// layer's own precision (LayerTableModel::PrecisionRole) at the right when it has one.
class PrecisionBadgeDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

} // namespace fp
