#include "formatting.h"

#include <cmath>

namespace fp {

namespace {

QString scaled(double value, const char* suffix)
{
    // The largest of "", "m", "µ", "n", "p" that keeps the value at least 1.
    static const char* const units[] = { "", "m", "µ", "n", "p" };
    constexpr int count = 5;
    int u = 0;
    double v = value;
    while (v != 0 && std::abs(v) < 1 && u + 1 < count) {
        v *= 1000;
        ++u;
    }
    const int decimals = std::abs(v) >= 100 ? 0 : std::abs(v) >= 10 ? 1 : 2;
    return QString::number(v, 'f', decimals) + u' ' + QString::fromUtf8(units[u]) + QString::fromLatin1(suffix);
}

} // namespace

QString bytesText(int64_t bytes)
{
    return QString::fromStdString(formatBytes(bytes));
}

QString knownBytesText(int64_t bytes)
{
    return bytes < 0 ? QStringLiteral("?") : bytesText(bytes);
}

QString countText(int64_t count)
{
    return QString::fromStdString(formatCount(count));
}

QString quantityText(double value, bool bytes)
{
    return bytes ? bytesText(int64_t(value)) : countText(int64_t(value));
}

QString shapeText(const TensorInfo& t)
{
    return QString::fromStdString(formatShape(t));
}

QString exactText(int64_t value, const QLocale& locale)
{
    return locale.toString(qint64(value));
}

QString durationText(double seconds)
{
    return scaled(seconds, "s");
}

QString energyText(double joules)
{
    return scaled(joules, "J");
}

} // namespace fp
