#pragma once

// The figures of core/format.h as the views show them, and the forms only the views use (times,
// energies, exact numbers), in one place: a figure reads the same in the summary, the table, the
// charts, the details and the report.

#include "format.h"

#include <QLocale>
#include <QString>

#include <cstdint>

namespace fp {

// "12.30 MiB" (formatBytes).
QString bytesText(int64_t bytes);
// bytesText, or "?" for a size that is not known (negative).
QString knownBytesText(int64_t bytes);
// "4.09 G" (formatCount).
QString countText(int64_t count);
// A chart's value: bytesText for bytes, countText for other quantities (MACs, parameters).
QString quantityText(double value, bool bytes);
// "[1, 3, 224, 224]" (formatShape).
QString shapeText(const TensorInfo& t);
// "25,557,032": every digit, grouped as `locale` groups them (the user's, by default).
QString exactText(int64_t value, const QLocale& locale = QLocale());
// "1.23 ms", "45.6 µs", "2.00 s": a time as it is read.
QString durationText(double seconds);
// "12.3 mJ", "4.56 µJ".
QString energyText(double joules);

} // namespace fp
