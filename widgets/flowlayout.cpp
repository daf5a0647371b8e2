#include "flowlayout.h"

#include <QWidget>

#include <algorithm>

namespace fp {

FlowLayout::FlowLayout(QWidget* parent, int horizontalSpacing, int verticalSpacing)
    : QLayout(parent)
    , m_horizontalSpacing(horizontalSpacing)
    , m_verticalSpacing(verticalSpacing)
{
    setContentsMargins(0, 0, 0, 0);
}

FlowLayout::~FlowLayout()
{
    while (QLayoutItem* item = takeAt(0))
        delete item;
}

void FlowLayout::addTrailingWidget(QWidget* widget)
{
    if (m_firstTrailing < 0)
        m_firstTrailing = int(m_items.size());
    addWidget(widget);
}

void FlowLayout::addItem(QLayoutItem* item)
{
    m_items.append(item);
}

int FlowLayout::count() const
{
    return int(m_items.size());
}

QLayoutItem* FlowLayout::itemAt(int index) const
{
    return index >= 0 && index < m_items.size() ? m_items[index] : nullptr;
}

QLayoutItem* FlowLayout::takeAt(int index)
{
    if (index < 0 || index >= m_items.size())
        return nullptr;
    if (m_firstTrailing > index)
        --m_firstTrailing;
    else if (m_firstTrailing == index && index == m_items.size() - 1)
        m_firstTrailing = -1;
    return m_items.takeAt(index);
}

Qt::Orientations FlowLayout::expandingDirections() const
{
    return {};
}

bool FlowLayout::hasHeightForWidth() const
{
    return true;
}

int FlowLayout::heightForWidth(int width) const
{
    return doLayout(QRect(0, 0, width, 0), false);
}

QSize FlowLayout::minimumSize() const
{
    // As narrow as the widest item: everything else wraps.
    QSize size;
    for (const QLayoutItem* item : m_items)
        size = size.expandedTo(item->minimumSize());
    const QMargins margins = contentsMargins();
    return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom());
}

QSize FlowLayout::sizeHint() const
{
    // Everything on one line.
    int width = 0;
    int height = 0;
    int shown = 0;
    for (const QLayoutItem* item : m_items) {
        if (item->isEmpty())
            continue;
        width += item->sizeHint().width();
        height = std::max(height, item->sizeHint().height());
        ++shown;
    }
    const QMargins margins = contentsMargins();
    return QSize(width + std::max(0, shown - 1) * m_horizontalSpacing + margins.left() + margins.right(),
                 height + margins.top() + margins.bottom());
}

void FlowLayout::setGeometry(const QRect& rect)
{
    QLayout::setGeometry(rect);
    doLayout(rect, true);
}

int FlowLayout::doLayout(const QRect& rect, bool apply) const
{
    const QMargins margins = contentsMargins();
    const QRect area = rect.marginsRemoved(margins);
    // Lines of item indices, each item at its size hint (never under its minimum, never over the width).
    struct Line {
        QList<int> items;
        int height = 0;
    };
    QList<Line> lines(1);
    int x = 0;
    const auto widthOf = [&](const QLayoutItem* item) {
        return std::min(std::max(item->sizeHint().width(), item->minimumSize().width()), std::max(area.width(), 1));
    };
    for (int i = 0; i < m_items.size(); ++i) {
        const QLayoutItem* item = m_items[i];
        if (item->isEmpty())
            continue;
        const int w = widthOf(item);
        if (x > 0 && x + m_horizontalSpacing + w > area.width()) {
            lines.append(Line {});
            x = 0;
        }
        x += (x > 0 ? m_horizontalSpacing : 0) + w;
        lines.last().items.append(i);
        lines.last().height = std::max(lines.last().height, item->sizeHint().height());
    }
    int y = area.top();
    for (const Line& line : lines) {
        if (line.items.isEmpty())
            continue;
        if (apply) {
            // The trailing items on this line, and how wide they are together.
            int trailingWidth = 0;
            int trailingFrom = int(line.items.size());
            for (int k = int(line.items.size()) - 1; k >= 0 && m_firstTrailing >= 0 && line.items[k] >= m_firstTrailing; --k) {
                trailingWidth += widthOf(m_items[line.items[k]]) + (trailingWidth > 0 ? m_horizontalSpacing : 0);
                trailingFrom = k;
            }
            int left = area.left();
            int right = area.right() + 1 - trailingWidth;
            for (int k = 0; k < line.items.size(); ++k) {
                QLayoutItem* item = m_items[line.items[k]];
                const int w = widthOf(item);
                int& cursor = k < trailingFrom ? left : right;
                const int h = std::min(item->sizeHint().height(), line.height);
                item->setGeometry(QRect(cursor, y + (line.height - h) / 2, w, h));
                cursor += w + m_horizontalSpacing;
            }
        }
        y += line.height + m_verticalSpacing;
    }
    if (y == area.top())
        return margins.top() + margins.bottom(); // nothing shown
    return y - m_verticalSpacing - area.top() + margins.top() + margins.bottom();
}

} // namespace fp
