#pragma once

// The ONNX reader. The app reads through the front door (model_reader.h, whose ModelError,
// ReadLimits and ReadProgress it uses), which picks this reader for ONNX files; outside core/
// only tests call it directly.

#include "graph.h"
#include "model_reader.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace fp {

// Reads an ONNX model without copying weight bytes: the file is memory-mapped and large
// tensor payloads are skipped, leaving only their dims, dtype and location. External data
// files are never opened. Throws ModelError.
Model readOnnxFile(const std::string& path, const ReadLimits& limits = {}, ReadProgress* progress = nullptr);

// The same for bytes already in memory (tests, fuzzing). `name` is used in messages.
Model readOnnxBytes(const uint8_t* data, size_t size, const std::string& name, const ReadLimits& limits = {},
                    ReadProgress* progress = nullptr);

// Whether a file's first bytes look like an ONNX model: ir_version first (field 1, as onnx and
// every exporter write it), then ModelProto fields of the right wire types as far as the bytes go.
bool looksLikeOnnx(const uint8_t* data, size_t size);

} // namespace fp
