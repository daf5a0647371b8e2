#include "colorscale.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace fp {

namespace {

using Coefficients = std::array<std::array<double, 3>, 7>;

// Degree-6 least-squares fits of matplotlib's tables, c0 + c1 t + ... + c6 t^6 per channel
// (Matt Zucker, https://www.shadertoy.com/view/WlfXRN, CC0): 21 numbers instead of a 768-entry
// table, within 6/255 of matplotlib's values (below what the eye separates on a node fill;
// tst_graphview checks the ends and the middle of both maps).
constexpr Coefficients kViridis = { {
    { 0.2777273272234177, 0.005407344544966578, 0.3340998053353061 },
    { 0.1050930431085774, 1.404613529898575, 1.384590162594685 },
    { -0.3308618287255563, 0.214847559468213, 0.09509516302823659 },
    { -4.634230498983486, -5.799100973351585, -19.33244095627987 },
    { 6.228269936347081, 14.17993336680509, 56.69055260068105 },
    { 4.776384997670288, -13.74514537774601, -65.35303263337234 },
    { -5.435455855934631, 4.645852612178535, 26.3124352495832 },
} };

constexpr Coefficients kMagma = { {
    { -0.002136485053939582, -0.000749655052795221, -0.005386127855323933 },
    { 0.2516605407371642, 0.6775232436837668, 2.494026599312351 },
    { 8.353717279216625, -3.577719514958484, 0.3144679030132573 },
    { -27.66873308576866, 14.26473078096533, -13.64921318813922 },
    { 52.17613981234068, -27.94360607168351, 12.94416944238394 },
    { -50.76852536473588, 29.04658282127291, 4.23415299384598 },
    { 18.65570506591883, -11.48977351997711, -5.601961508734096 },
} };

double channel(const Coefficients& c, int k, double t)
{
    double v = c[6][size_t(k)];
    for (int i = 5; i >= 0; --i)
        v = v * t + c[size_t(i)][size_t(k)];
    return std::clamp(v, 0.0, 1.0);
}

double linearized(double srgb)
{
    return srgb <= 0.04045 ? srgb / 12.92 : std::pow((srgb + 0.055) / 1.055, 2.4);
}

} // namespace

ColorScale ColorScale::forValues(const std::vector<double>& values, bool logarithmic, ColorMap map)
{
    ColorScale scale;
    scale.logarithmic = logarithmic;
    scale.map = map;
    double smallest = 0, largest = 0;
    for (double v : values) {
        if (!(v > 0) || !std::isfinite(v))
            continue;
        smallest = smallest > 0 ? std::min(smallest, v) : v;
        largest = std::max(largest, v);
    }
    if (largest <= 0) {
        scale.minimum = 0;
        scale.maximum = 1;
    } else {
        scale.minimum = logarithmic ? smallest : 0;
        scale.maximum = largest;
    }
    return scale;
}

bool ColorScale::isColored(double value) const
{
    return value > 0 && std::isfinite(value);
}

double ColorScale::position(double value) const
{
    if (!isColored(value))
        return 0;
    double t = 0;
    if (logarithmic && minimum > 0) {
        const double lo = std::log(minimum), hi = std::log(maximum);
        // One positive value only: every coloured node gets the top of the scale.
        t = hi > lo ? (std::log(value) - lo) / (hi - lo) : 1;
    } else {
        t = maximum > minimum ? (value - minimum) / (maximum - minimum) : 1;
    }
    return std::clamp(t, 0.0, 1.0);
}

QColor ColorScale::color(double value) const
{
    if (!isColored(value))
        return {};
    return mapColor(map, position(value));
}

double ColorScale::valueAt(double t) const
{
    t = std::clamp(t, 0.0, 1.0);
    if (logarithmic && minimum > 0 && maximum > minimum)
        return std::exp(std::log(minimum) + t * (std::log(maximum) - std::log(minimum)));
    return minimum + t * (maximum - minimum);
}

QColor ColorScale::mapColor(ColorMap map, double t)
{
    t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.0;
    const Coefficients& c = map == ColorMap::Magma ? kMagma : kViridis;
    return QColor::fromRgbF(float(channel(c, 0, t)), float(channel(c, 1, t)), float(channel(c, 2, t)));
}

bool ColorScale::needsLightText(const QColor& background)
{
    const double luminance = 0.2126 * linearized(background.redF()) + 0.7152 * linearized(background.greenF())
        + 0.0722 * linearized(background.blueF());
    // WCAG contrast: white wins where (1.05 / (L + 0.05)) > ((L + 0.05) / 0.05), i.e. L < 0.179.
    return luminance < 0.179;
}

} // namespace fp
