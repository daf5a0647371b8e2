#pragma once

#include "graph.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace fp {

// A model that cannot be read or is not a valid graph. what() is one line for the user.
class ModelError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A read that was stopped through ReadProgress::cancelled.
class ReadCancelled : public ModelError {
public:
    using ModelError::ModelError;
};

// Lets another thread follow a read and stop it: the reader stores how many bytes of the file
// it has walked, and checks `cancelled` before each node, throwing ReadCancelled once it is set.
struct ReadProgress {
    std::atomic<int64_t> bytesDone { 0 };
    std::atomic<bool> cancelled { false };
};

// Bounds a hostile file cannot push the reader past.
struct ReadLimits {
    int maxGraphNesting = 16; // If/Loop bodies inside bodies
    int64_t maxNodes = 5'000'000; // all graphs together
    int64_t maxSmallIntElements = 64; // integer constants read for shape computation
};

// Reads an ONNX model without copying weight bytes: the file is memory-mapped and large
// tensor payloads are skipped, leaving only their dims, dtype and location. External data
// files are never opened. Throws ModelError.
Model readOnnxFile(const std::string& path, const ReadLimits& limits = {}, ReadProgress* progress = nullptr);

// The same for bytes already in memory (tests, fuzzing). `name` is used in messages.
Model readOnnxBytes(const uint8_t* data, size_t size, const std::string& name, const ReadLimits& limits = {},
                    ReadProgress* progress = nullptr);

// Whether bytes look like an ONNX model (a ModelProto whose first fields parse).
bool looksLikeOnnx(const uint8_t* data, size_t size);

} // namespace fp
