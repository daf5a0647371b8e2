#pragma once

#include <QLayout>
#include <QList>

namespace fp {

// Lays its items out left to right and wraps them onto the next line when the width runs out
// (Qt's Flow Layout example, with a right-aligned tail): a row of controls that fits a 1400-pixel
// window in one line and a 1024-pixel one in two, instead of forcing the window wider. Items
// added with addTrailingWidget() go to the right end of the last line while they fit there.
class FlowLayout : public QLayout {
public:
    explicit FlowLayout(QWidget* parent = nullptr, int horizontalSpacing = 6, int verticalSpacing = 4);
    ~FlowLayout() override;

    // A widget that keeps to the right: the first trailing item starts the right-aligned group.
    void addTrailingWidget(QWidget* widget);

    void addItem(QLayoutItem* item) override;
    int count() const override;
    QLayoutItem* itemAt(int index) const override;
    QLayoutItem* takeAt(int index) override;
    Qt::Orientations expandingDirections() const override;
    bool hasHeightForWidth() const override;
    int heightForWidth(int width) const override;
    QSize minimumSize() const override;
    QSize sizeHint() const override;
    void setGeometry(const QRect& rect) override;

private:
    // Places the items in `rect` (when `apply`) and returns the height they take.
    int doLayout(const QRect& rect, bool apply) const;

    QList<QLayoutItem*> m_items;
    int m_firstTrailing = -1; // index of the first right-aligned item; -1 for none
    int m_horizontalSpacing;
    int m_verticalSpacing;
};

} // namespace fp
