#pragma once

// FOOTPRINT_DUMP_MODELS=DIR: every model a test builds in memory is also written to DIR, named by
// a hash of its bytes, so the fuzzer can start from them (tests/fuzz/fuzz.sh does this).

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace fp::test {

inline void dumpForFuzzing(const std::string& bytes)
{
    const char* dir = std::getenv("FOOTPRINT_DUMP_MODELS");
    if (!dir || !*dir)
        return;
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    char name[40];
    std::snprintf(name, sizeof name, "built-%016zx.onnx", std::hash<std::string> {}(bytes));
    std::ofstream(std::filesystem::path(dir) / name, std::ios::binary)
        .write(bytes.data(), std::streamsize(bytes.size()));
}

} // namespace fp::test
