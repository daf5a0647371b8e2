#include "figuredelegate.h"

#include <QApplication>
#include <QPainter>
#include <QStyle>

namespace fp {

namespace {

constexpr qsizetype kMaxCached = 4096;

} // namespace

FigureDelegate::FigureDelegate(QObject* parent)
    : QStyledItemDelegate(parent)
{
}

FigureDelegate::~FigureDelegate() = default;

const QStaticText& FigureDelegate::staticText(const QString& text, const QFont& font) const
{
    QHash<QString, QStaticText>& cache = font.bold() ? m_bold : m_plain;
    auto it = cache.find(text);
    if (it == cache.end()) {
        if (cache.size() >= kMaxCached)
            cache.clear();
        QStaticText laidOut(text);
        laidOut.setTextFormat(Qt::PlainText);
        laidOut.setPerformanceHint(QStaticText::AggressiveCaching);
        laidOut.prepare(QTransform(), font);
        it = cache.insert(text, laidOut);
    }
    return *it;
}

void FigureDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString text = opt.text;
    opt.text.clear();
    const QWidget* widget = opt.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    // Background, selection and focus as the style draws them, without the text.
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);
    if (text.isEmpty())
        return;

    const QRect textRect = style->subElementRect(QStyle::SE_ItemViewItemText, &opt, widget);
    const QPalette::ColorGroup group = !(opt.state & QStyle::State_Enabled) ? QPalette::Disabled
        : (opt.state & QStyle::State_Active)                                ? QPalette::Normal
                                                                            : QPalette::Inactive;
    const bool selected = opt.state & QStyle::State_Selected;
    // The model's foreground (grey for a figure without a cost formula) unless selected.
    const QColor color = selected ? opt.palette.color(group, QPalette::HighlightedText)
                                  : opt.palette.color(group, QPalette::Text);
    const QStaticText& laidOut = staticText(text, opt.font);
    const QSizeF size = laidOut.size();
    const int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, widget) + 1;
    const QRect inner = textRect.adjusted(margin, 0, -margin, 0);
    double x = inner.left();
    if (opt.displayAlignment & Qt::AlignRight)
        x = inner.right() + 1 - size.width();
    else if (opt.displayAlignment & Qt::AlignHCenter)
        x = inner.left() + (inner.width() - size.width()) / 2;
    const double y = inner.top() + (inner.height() - size.height()) / 2;

    painter->save();
    painter->setClipRect(opt.rect);
    painter->setFont(opt.font);
    painter->setPen(color);
    painter->drawStaticText(QPointF(x, y), laidOut);
    painter->restore();
}

} // namespace fp
