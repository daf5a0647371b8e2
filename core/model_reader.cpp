#include "model_reader.h"

#include "onnx_reader.h"

#include <QFile>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace fp {

const std::vector<ModelFormat>& modelFormats()
{
    static const std::vector<ModelFormat> formats {
        { "ONNX", { ".onnx" }, looksLikeOnnx, readOnnxFile, readOnnxBytes },
    };
    return formats;
}

const ModelFormat* findModelFormat(const std::string& path, const uint8_t* head, size_t size)
{
    for (const ModelFormat& format : modelFormats())
        if (format.sniff(head, size))
            return &format;
    const std::string extension = asciiLower(std::filesystem::path(path).extension().string());
    for (const ModelFormat& format : modelFormats())
        if (std::find(format.extensions.begin(), format.extensions.end(), extension) != format.extensions.end())
            return &format;
    return nullptr;
}

std::string knownModelFormats()
{
    std::string list;
    for (const ModelFormat& format : modelFormats()) {
        if (!list.empty())
            list += ", ";
        list += format.name;
        std::string extensions;
        for (const std::string& e : format.extensions)
            extensions += (extensions.empty() ? "" : " ") + e;
        if (!extensions.empty())
            list += " (" + extensions + ")";
    }
    return list;
}

int openRegularFile(const std::string& path, int flags, int64_t* size)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
    if (fd < 0)
        throw ModelError("cannot open '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw ModelError("'" + path + "' is not a regular file");
    }
    if (size)
        *size = int64_t(st.st_size);
    return fd;
}

namespace {

// "'notes.txt' is not a valid ONNX model: no reader recognises it; the formats known are ONNX (.onnx)"
// ("ONNX or TFLite", "ONNX, TFLite or Core ML" as formats join).
[[noreturn]] void refuseUnknown(const std::string& name)
{
    const std::vector<ModelFormat>& formats = modelFormats();
    std::string names;
    for (size_t i = 0; i < formats.size(); ++i)
        names += (i == 0 ? "" : i + 1 == formats.size() ? " or " : ", ") + std::string(formats[i].name);
    throw ModelError("'" + name + "' is not a valid " + names
                     + " model: no reader recognises it; the formats known are " + knownModelFormats());
}

// A file's first bytes, at most kSniffBytes of them; the reasons it cannot be read are the readers'.
size_t readHead(const std::string& path, uint8_t* head)
{
    const int fd = openRegularFile(path, O_NONBLOCK); // a FIFO must not block
    size_t size = 0;
    while (size < kSniffBytes) {
        const ssize_t n = ::read(fd, head + size, kSniffBytes - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            throw ModelError("cannot read '" + path + "': " + std::strerror(error));
        }
        if (n == 0)
            break;
        size += size_t(n);
    }
    ::close(fd);
    return size;
}

} // namespace

Model readModel(const std::string& path, const ReadLimits& limits, ReadProgress* progress)
{
    uint8_t head[kSniffBytes];
    const size_t size = readHead(path, head);
    if (size == 0)
        throw ModelError("'" + path + "' is empty");
    const ModelFormat* format = findModelFormat(path, head, size);
    if (!format)
        refuseUnknown(path);
    return format->readFile(path, limits, progress);
}

Model readModelBytes(const uint8_t* data, size_t size, const std::string& name, const ReadLimits& limits,
                     ReadProgress* progress)
{
    if (size == 0)
        throw ModelError("'" + name + "' is empty");
    const ModelFormat* format = findModelFormat(name, data, std::min(size, kSniffBytes));
    if (!format)
        refuseUnknown(name);
    return format->readBytes(data, size, name, limits, progress);
}

std::string encodeFileName(const QString& path)
{
    return QFile::encodeName(path).toStdString();
}

} // namespace fp
