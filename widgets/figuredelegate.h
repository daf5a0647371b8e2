#pragma once

#include <QHash>
#include <QStaticText>
#include <QStyledItemDelegate>

namespace fp {

// Paints the figure columns of the layer table ("784.00 KiB", "115.61 M", "2.8 %"): the
// style draws the cell (selection, alternating rows, focus) and the text is drawn from a cache
// of laid-out strings. A slider step repaints every visible figure, and the stock delegate
// lays each one out again (elision, shaping) every time, which was most of a step's paint time;
// figures repeat a lot ("0 B", "784.00 KiB"), so the cache mostly hits. Columns are sized for
// their widest figure, so nothing needs eliding; a text wider than its cell is clipped.
class FigureDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit FigureDelegate(QObject* parent = nullptr);
    ~FigureDelegate() override;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;

private:
    const QStaticText& staticText(const QString& text, const QFont& font) const;

    // Per font (bold for the peak row), per string. Cleared when it grows past a few thousand
    // strings, which only a long scroll through a large model reaches.
    mutable QHash<QString, QStaticText> m_plain;
    mutable QHash<QString, QStaticText> m_bold;
};

} // namespace fp
