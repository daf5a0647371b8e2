#pragma once

// The analysis options shared by footprint-cli and the GUI's command line.

#include "analysis.h"
#include "session.h"

#include <QCommandLineParser>
#include <QString>

namespace fp {

// The analysis and budget options (--batch, --precision, --device...), which addAnalysisOptions
// adds to a parser; `footprint-cli diff` adds each a second time as --b-NAME.
QList<QCommandLineOption> analysisOptions();
void addAnalysisOptions(QCommandLineParser& parser);

// Reads the options into `config`; returns an error message, empty on success.
QString readAnalysisOptions(const QCommandLineParser& parser, AnalysisConfig& config);

// Reads the training recipe's options (--autocast, --checkpoint, --freeze, --train-only,
// --micro-batch, --data-parallel, --zero, --offload, --fsdp) into config.training.recipe;
// readAnalysisOptions calls it. Returns an error message, empty on success.
QString readRecipeOptions(const QCommandLineParser& parser, AnalysisConfig& config);

// Reads a calibration file (--calibration, File > Load Calibration); unnamed ones take the
// file's name. Returns an error message naming the file, empty on success.
QString readCalibrationFile(const QString& path, Calibration& calibration);

// The device and memory budget: a device preset's memory (--device) or an explicit size
// (--fit-memory), the presets (--devices), --efficiency and --energy-scale.
QString readBudgetOptions(const QCommandLineParser& parser, BudgetChoice& budget);

} // namespace fp
