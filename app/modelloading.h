#pragma once

#include "graph.h"
#include "model_reader.h"

#include <QString>

#include <memory>

namespace fp {

// What a load job hands back to the GUI thread: the model, or why there is none.
struct LoadedModel {
    std::shared_ptr<const Model> model;
    QString error;
    double ms = 0;
};

// Whether `path` names a Qt resource (":/models/resnet18.onnx"), not a file.
bool isResource(const QString& path);

// The Open dialog's filter: a line per reader, from the registry ("ONNX models (*.onnx)").
QString modelFileFilter();

// Reads the model at `path` (a file, or a resource). Runs on the thread pool: touches nothing
// but its arguments; `progress` is shared with the GUI thread, which reads it and may cancel the
// read through it.
LoadedModel loadModel(const QString& path, std::shared_ptr<ReadProgress> progress);

} // namespace fp
