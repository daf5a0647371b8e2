#pragma once

// Overflow-safe integer arithmetic, in one place. Byte and element counts saturate: a hostile
// dim never wraps around, it pins the count at kSaturated. Values read from a file (dims, pads,
// strides) are Checked: an overflow makes the result unknown, never undefined.

#include <climits>
#include <cstdint>
#include <optional>

namespace fp {

constexpr int64_t kSaturated = INT64_MAX;

// a * b for counts: -1 if either is negative (unknown), kSaturated past the int64 range.
constexpr int64_t satMul(int64_t a, int64_t b)
{
    if (a < 0 || b < 0)
        return -1;
    if (a != 0 && b > kSaturated / a)
        return kSaturated;
    return a * b;
}

// a + b for counts: -1 if either is negative (unknown), kSaturated past the int64 range.
constexpr int64_t satAdd(int64_t a, int64_t b)
{
    if (a < 0 || b < 0)
        return -1;
    return a > kSaturated - b ? kSaturated : a + b;
}

// A count or byte size worked out in floating point, as int64: clamped to [0, kSaturated] (NaN
// gives 0), since converting a double at or past 2^63 is undefined.
constexpr int64_t satFromDouble(double v)
{
    if (!(v > 0))
        return 0;
    return v >= 9223372036854775808.0 ? kSaturated : int64_t(v); // 2^63
}

// Arithmetic on values read from the file: empty once any step overflows (or an operand was).
struct Checked {
    std::optional<int64_t> value;
    constexpr Checked(int64_t v) // NOLINT: implicit, so expressions read as arithmetic
        : value(v)
    {
    }
    constexpr Checked(std::nullopt_t)
        : value()
    {
    }
    constexpr explicit operator bool() const { return value.has_value(); }
    constexpr int64_t operator*() const { return *value; }

    // Hidden friends: found only where a Checked takes part, never for two plain integers.
    friend constexpr Checked operator+(Checked a, Checked b)
    {
        return apply(a, b, [](int64_t x, int64_t y, int64_t* r) { return __builtin_add_overflow(x, y, r); });
    }
    friend constexpr Checked operator-(Checked a, Checked b)
    {
        return apply(a, b, [](int64_t x, int64_t y, int64_t* r) { return __builtin_sub_overflow(x, y, r); });
    }
    friend constexpr Checked operator*(Checked a, Checked b)
    {
        return apply(a, b, [](int64_t x, int64_t y, int64_t* r) { return __builtin_mul_overflow(x, y, r); });
    }

private:
    template<typename Op>
    static constexpr Checked apply(Checked a, Checked b, Op op)
    {
        int64_t r = 0;
        if (!a || !b || op(*a, *b, &r))
            return std::nullopt;
        return r;
    }
};

} // namespace fp
