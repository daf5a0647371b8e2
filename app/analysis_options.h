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

// Reads a calibration file (--calibration, File > Load Calibration); unnamed ones take the
// file's name. Returns an error message naming the file, empty on success.
QString readCalibrationFile(const QString& path, Calibration& calibration);

// The memory budget: a device preset's memory (--device) or an explicit size (--fit-memory).
struct Budget {
    std::vector<Device> devices = builtinDevices(); // or those of --devices FILE
    std::optional<Device> device;
    std::optional<int64_t> bytes;
    double efficiency = 0.75; // share of the device's roofs attained (--efficiency)
    double energyScale = 1.0; // multiplies the 45 nm energy costs (--energy-scale)
};
QString readBudgetOptions(const QCommandLineParser& parser, Budget& budget);

} // namespace fp
