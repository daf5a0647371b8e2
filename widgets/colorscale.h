#pragma once

#include <QColor>

#include <vector>

namespace fp {

// Perceptually uniform colour maps (matplotlib's viridis and magma): equal steps in value look
// like equal steps in colour and the lightness rises monotonically, so the order survives a
// grey-scale print and colour-blind readers. Evaluated from degree-6 polynomial fits of the
// 256-entry tables (within 6/255 of them).
enum class ColorMap { Viridis, Magma };

// Maps a metric (bytes, MACs, steps) to a colour: the mapping math the graph view and its legend
// share, kept here so that it is tested without a widget.
//
// Zero and negative values have no colour (isColored() is false): a node that holds no weights
// or does no multiply-adds is drawn neutral rather than in the scale's darkest colour, so the
// nodes that matter stand out. A linear scale starts at zero (like a bar chart); a logarithmic one
// spans the smallest to the largest positive value, since byte counts range over many decades.
struct ColorScale {
    double minimum = 0;
    double maximum = 1;
    bool logarithmic = false;
    ColorMap map = ColorMap::Viridis;

    // The scale for a set of values: [0, max] (linear) or [smallest positive, max] (log).
    static ColorScale forValues(const std::vector<double>& values, bool logarithmic, ColorMap map = ColorMap::Viridis);

    bool isColored(double value) const;
    // Where `value` falls on the scale, 0 to 1, clamped; 0 for values without a colour.
    double position(double value) const;
    // The colour of `value`; an invalid QColor when it has none.
    QColor color(double value) const;
    // The value at `position` (0 to 1): the inverse of position(), for legend ticks.
    double valueAt(double position) const;

    // The colour map at t in [0, 1] (clamped).
    static QColor mapColor(ColorMap map, double t);
    // Whether text on `background` should be light: by relative luminance, so labels stay
    // readable across the whole map (viridis is dark below about 0.45).
    static bool needsLightText(const QColor& background);
};

} // namespace fp
