#include "chartmapping.h"

#include <QCoreApplication>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace fp {

QString chartmapping::tr(const char* text)
{
    return QCoreApplication::translate("fp::ChartMapping", text);
}

using chartmapping::tr;

QColor categoryColor(Category category)
{
    // Tableau 10, which stays apart for the common colour-vision deficiencies; its red is
    // reserved for exceeding the device.
    switch (category) {
    case Category::Weights:
        return QColor(0x4e, 0x79, 0xa7);
    case Category::Gradients:
        return QColor(0xf2, 0x8e, 0x2b);
    case Category::OptimizerState:
        return QColor(0xb0, 0x7a, 0xa1);
    case Category::SavedActivations:
        return QColor(0x59, 0xa1, 0x4f);
    case Category::Activations:
        return QColor(0x76, 0xb7, 0xb2);
    case Category::Workspace:
        return QColor(0xba, 0xb0, 0xac);
    case Category::Inputs:
        return QColor(0xed, 0xc9, 0x48);
    case Category::Runtime:
        return QColor(0x9c, 0x75, 0x5f);
    }
    return Qt::gray;
}

QString categoryLabel(Category category)
{
    switch (category) {
    case Category::Weights:
        return tr("Weights");
    case Category::Gradients:
        return tr("Gradients");
    case Category::OptimizerState:
        return tr("Optimizer state");
    case Category::SavedActivations:
        return tr("Saved activations");
    case Category::Activations:
        return tr("Activations");
    case Category::Workspace:
        return tr("Workspace");
    case Category::Inputs:
        return tr("Inputs");
    case Category::Runtime:
        return tr("Runtime");
    }
    return {};
}

LogScale::LogScale(int64_t minimum, int64_t maximum, int stepsPerDoubling)
{
    minimum = std::max<int64_t>(1, minimum);
    maximum = std::max(minimum, maximum);
    stepsPerDoubling = std::max(1, stepsPerDoubling);
    const double doublings = std::log2(double(maximum) / double(minimum));
    const int steps = std::max(1, int(std::ceil(doublings * stepsPerDoubling)));
    m_values.reserve(size_t(steps) + 1);
    for (int i = 0; i <= steps; ++i) {
        const double v = double(minimum) * std::exp2(doublings * i / steps);
        const int64_t rounded = std::clamp<int64_t>(std::llround(v), minimum, maximum);
        if (m_values.empty() || rounded > m_values.back())
            m_values.push_back(rounded);
    }
    if (m_values.back() != maximum)
        m_values.push_back(maximum);
}

int64_t LogScale::value(int position) const
{
    return m_values[size_t(std::clamp(position, 0, positionCount() - 1))];
}

int LogScale::position(int64_t value) const
{
    const auto it = std::lower_bound(m_values.begin(), m_values.end(), value);
    if (it == m_values.begin())
        return 0;
    if (it == m_values.end())
        return positionCount() - 1;
    const int upper = int(it - m_values.begin());
    if (*it == value)
        return upper;
    // Nearer on the log scale: compare ratios, not differences.
    const double below = double(value) / double(*(it - 1));
    const double above = double(*it) / double(value);
    return below <= above ? upper - 1 : upper;
}

AxisUnit axisUnit(double maximum, bool bytes)
{
    static const char* const byteUnits[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
    static const char* const countUnits[] = { "", "k", "M", "G", "T", "P" };
    const double base = bytes ? 1024.0 : 1000.0;
    AxisUnit unit;
    int u = 0;
    while (maximum >= base && u < 5) {
        maximum /= base;
        unit.divisor *= base;
        ++u;
    }
    unit.name = QString::fromLatin1(bytes ? byteUnits[u] : countUnits[u]);
    return unit;
}

double niceInterval(double range, int targetTicks)
{
    if (!(range > 0) || targetTicks < 1)
        return 1;
    const double raw = range / targetTicks;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double fraction = raw / magnitude;
    const double nice = fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10;
    return nice * magnitude;
}

void setAxisRange(QValueAxis* axis, double maximum, double interval, double minimum)
{
    if (interval >= axis->tickInterval()) {
        axis->setTickInterval(interval);
        axis->setRange(minimum, maximum);
    } else {
        axis->setRange(minimum, maximum);
        axis->setTickInterval(interval);
    }
    axis->setTickAnchor(0);
    axis->setTickType(QValueAxis::TicksDynamic);
}

} // namespace fp
