#include "layerprecision.h"

#include "layertablemodel.h"

#include <QApplication>
#include <QFontMetricsF>
#include <QPainter>
#include <QStyle>

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace fp {

std::vector<int> matchingPrecisionRules(const Graph& graph, const std::vector<LayerPrecision>& rules)
{
    std::vector<int> matched(graph.nodes.size(), -1);
    if (rules.empty())
        return matched;
    std::unordered_map<std::string, int> exact; // the last rule naming each pattern
    std::vector<int> globs;
    for (size_t i = 0; i < rules.size(); ++i) {
        if (rules[i].pattern.find('*') == std::string::npos) // as the analysis decides it (memory.cpp)
            exact[rules[i].pattern] = int(i);
        else
            globs.push_back(int(i));
    }
    std::vector<std::string> pattern(1);
    for (size_t n = 0; n < graph.nodes.size(); ++n) {
        const std::string& name = graph.nodes[n].name;
        int last = -1;
        if (!exact.empty()) {
            if (const auto it = exact.find(name); it != exact.end())
                last = std::max(last, it->second);
            std::string scope;
            for (const std::string& part : scopePath(name)) {
                scope += '/' + part;
                if (const auto it = exact.find(scope); it != exact.end())
                    last = std::max(last, it->second);
            }
        }
        for (auto it = globs.rbegin(); it != globs.rend() && *it > last; ++it) {
            pattern[0] = rules[size_t(*it)].pattern;
            if (!matchedScope(pattern, name).empty()) {
                last = *it;
                break;
            }
        }
        matched[n] = last;
    }
    return matched;
}

std::string groupPrecisionPattern(const QString& groupPath)
{
    QString path = groupPath;
    while (path.startsWith(u'/'))
        path.remove(0, 1);
    while (path.endsWith(u'/'))
        path.chop(1);
    return QString(u'/' + path + QStringLiteral("/*")).toStdString();
}

QString precisionLabel(Precision precision)
{
    return QString::fromLatin1(precisionName(precision));
}

QColor precisionBadgeColor(Precision precision)
{
    switch (precision) {
    case Precision::INT4:
        return QColor(0xb7, 0x1c, 0x1c);
    case Precision::INT8:
        return QColor(0xe6, 0x51, 0x00);
    case Precision::FP16:
    case Precision::BF16:
        return QColor(0x28, 0x5e, 0x9c);
    case Precision::FP32:
    case Precision::Model:
        return QColor(0x54, 0x6e, 0x7a);
    }
    return QColor(0x54, 0x6e, 0x7a);
}

int paintPrecisionBadge(QPainter* painter, const QRectF& rect, const QString& text, const QColor& fill)
{
    QFont font = painter->font();
    font.setBold(true);
    font.setPointSizeF(std::max(6.0, font.pointSizeF() * 0.8));
    const QFontMetricsF metrics(font);
    const qreal height = std::min(rect.height() - 2, metrics.height() + 2);
    const qreal width = metrics.horizontalAdvance(text) + 8;
    const QRectF badge(rect.right() - width - 2, rect.center().y() - height / 2, width, height);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, true);
    painter->setPen(Qt::NoPen);
    painter->setBrush(fill);
    painter->drawRoundedRect(badge, height / 2, height / 2);
    painter->setPen(Qt::white);
    painter->setFont(font);
    painter->drawText(badge, Qt::AlignCenter, text);
    painter->restore();
    return int(std::ceil(width)) + 4;
}

void PrecisionBadgeDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    const QVariant precision = index.data(LayerTableModel::PrecisionRole);
    if (!precision.isValid()) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    const auto p = parsePrecision(precision.toString().toStdString());
    const QString text = precision.toString();
    // The name keeps clear of the badge: the style elides it in what is left.
    QFont font = option.font;
    font.setBold(true);
    font.setPointSizeF(std::max(6.0, font.pointSizeF() * 0.8));
    const int badge = int(std::ceil(QFontMetricsF(font).horizontalAdvance(text))) + 12;
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QWidget* widget = opt.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    // The background across the whole cell, the text in the part left of the badge.
    QStyleOptionViewItem background = opt;
    background.text.clear();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);
    QStyleOptionViewItem name = opt;
    name.rect.setRight(opt.rect.right() - badge);
    name.backgroundBrush = Qt::NoBrush;
    name.state &= ~QStyle::State_HasFocus;
    name.features &= ~QStyleOptionViewItem::Alternate;
    // Only the text: the selection was painted with the background.
    if (name.state & QStyle::State_Selected) {
        name.palette.setBrush(QPalette::Highlight, Qt::transparent);
    }
    style->drawControl(QStyle::CE_ItemViewItem, &name, painter, widget);
    paintPrecisionBadge(painter, QRectF(opt.rect), text, precisionBadgeColor(p.value_or(Precision::INT8)));
}

} // namespace fp
