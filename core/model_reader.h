#pragma once

// The reader front door. readModel picks the reader for a file from a small registry of
// formats: the first whose sniff accepts the file's first bytes, else the first that claims its
// extension. ONNX is the only entry today; a second format (TFLite, say) joins by adding its
// entry to modelFormats() in model_reader.cpp.

#include "graph.h"

#include <QString>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

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

// How many of a file's first bytes a sniff sees (fewer when the file is shorter).
constexpr size_t kSniffBytes = 4096;

// One format in the registry. The read functions throw ModelError.
struct ModelFormat {
    const char* name; // as messages name it: "ONNX"
    std::vector<std::string> extensions; // lower case, with the dot: ".onnx"
    // Whether a file's first bytes are this format's (a field may run past them).
    bool (*sniff)(const uint8_t* data, size_t size);
    Model (*readFile)(const std::string& path, const ReadLimits& limits, ReadProgress* progress);
    // Bytes already in memory; `name` is used in messages.
    Model (*readBytes)(const uint8_t* data, size_t size, const std::string& name, const ReadLimits& limits,
                       ReadProgress* progress);
};

// The registry, in the order the sniffs are tried.
const std::vector<ModelFormat>& modelFormats();
// The format for a file named `path` whose first bytes are `head`: by magic, then by extension
// (any case); nullptr when no reader recognises it.
const ModelFormat* findModelFormat(const std::string& path, const uint8_t* head, size_t size);
// "ONNX (.onnx)": the formats known, as messages list them.
std::string knownModelFormats();

// Reads a model file of any known format. A file no reader recognises gets a ModelError that
// names the formats known.
Model readModel(const std::string& path, const ReadLimits& limits = {}, ReadProgress* progress = nullptr);
// The same for bytes already in memory (a bundled resource); `name` is the file name, used in
// messages and for its extension.
Model readModelBytes(const uint8_t* data, size_t size, const std::string& name, const ReadLimits& limits = {},
                     ReadProgress* progress = nullptr);

// A path as the core's file calls take it: QFile::encodeName's bytes, the system's own encoding
// of file names (UTF-8 on Linux, decomposed on macOS). Every QString path handed to the core goes
// through this. (A name that is not valid UTF-8 is already lost in the QString: Qt 6.4 decodes
// it lossily, and neither this nor toStdString gets the original bytes back.)
std::string encodeFileName(const QString& path);

// Opens `path` read-only (O_CLOEXEC and `flags`) as a regular file, or throws the ModelError a
// user reads ("cannot open 'x': reason", "'x' is not a regular file"). The caller closes it.
int openRegularFile(const std::string& path, int flags = 0, int64_t* size = nullptr);

} // namespace fp
