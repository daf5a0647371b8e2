#pragma once

// The views' setters store a new value and redraw only when it differs: a slider or a linked
// view setting the same value again must not redraw (or emit) for nothing.

#include <utility>

namespace fp {

// Stores `value` in `member` and returns true when it differs from what was there.
template <typename T, typename U>
bool assignIfChanged(T& member, U&& value)
{
    if (member == value)
        return false;
    member = std::forward<U>(value);
    return true;
}

} // namespace fp
