#pragma once

// The analysis options shared by footprint-cli and the GUI's command line.

#include "analysis.h"
#include "devices.h"

#include <QCommandLineParser>
#include <QString>

namespace fp {

void addAnalysisOptions(QCommandLineParser& parser);

// Reads the options into `config`; returns an error message, empty on success.
QString readAnalysisOptions(const QCommandLineParser& parser, AnalysisConfig& config);

// The memory budget: a device preset's memory (--device) or an explicit size (--fit-memory).
struct Budget {
    std::vector<Device> devices = builtinDevices(); // or those of --devices FILE
    std::optional<Device> device;
    std::optional<int64_t> bytes;
};
QString readBudgetOptions(const QCommandLineParser& parser, Budget& budget);

} // namespace fp
