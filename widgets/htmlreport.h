#pragma once

// The one-click report of an analysis: the model, the configuration, the totals, the per-layer
// bars, the memory timeline against the budget, the graph and the top layers (the hotspots), as
// one self-contained HTML file (pictures inline as data: URIs, no other file needed) or a PDF.
// Both are made from the same sections, and the pictures are exporter.h's: the report shows what
// File > Export and footprint-cli chart write.

#include "exporter.h"
#include "graphstructure.h"

#include <QByteArray>
#include <QString>

#include <vector>

namespace fp {

class GraphView;

// A report's pages: A4 portrait at 96 dots per inch with 12 mm margins, so that charts drawn in
// logical pixels keep their proportions.
constexpr QSize kReportChartSize(1000, 600);

class AnalysisReport {
public:
    // `graph`, a view that has laid the model out (see reportGraphOptions()), is drawn as it
    // is; null leaves the graph out. `hotspots` layers are listed.
    AnalysisReport(const Session& source, const GraphView* graph, int hotspots = 15);

    QString title() const { return m_title; }
    // A standalone HTML5 page (well-formed XML too, so tests can parse it).
    QByteArray toHtml() const;
    // A4 pages; empty, with `error` set, if the PDF cannot be made.
    QByteArray toPdf(QString* error = nullptr) const;

    // How the report lays the graph out: as a new view opens it, or (`overview`) with every
    // group collapsed to the top levels, for a graph too tall for a page at a readable size.
    static GraphOptions graphOptions(bool overview);
    // Whether `picture` (the graph) reads on one page; if not, lay it out again as an overview.
    static bool fitsPage(const Picture& picture);

private:
    struct Section {
        QString heading;
        QString html; // a fragment: paragraphs and tables
        Picture picture;
    };

    QString m_title;
    QString m_subtitle;
    std::vector<Section> m_sections;
};

} // namespace fp
