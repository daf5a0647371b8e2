#pragma once

// The analysis options shared by footprint-cli and the GUI's command line.

#include "analysis.h"

#include <QCommandLineParser>
#include <QString>

namespace fp {

void addAnalysisOptions(QCommandLineParser& parser);

// Reads the options into `config`; returns an error message, empty on success.
QString readAnalysisOptions(const QCommandLineParser& parser, AnalysisConfig& config);

} // namespace fp
