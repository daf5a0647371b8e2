#pragma once

// One analysis with everything said about it: the model, its configuration and result, the
// device and memory budget it is held against, the latency and energy estimate, and the largest
// batch that fits. footprint-cli (every command) and the window make it with makeSession(); the
// exports, the report and the views read it.

#include "analysis.h"
#include "devices.h"
#include "generation.h"
#include "performance.h"
#include "whatif.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fp {

// The device and memory budget chosen: a device preset (--device, the window's device menu),
// whose memory is the budget unless a size of one's own is given (--fit-memory).
struct BudgetChoice {
    std::vector<Device> devices = builtinDevices(); // or those of --devices FILE
    std::optional<Device> device;
    std::optional<int64_t> bytes;
    std::string name; // what the budget is called: the device's name, or empty for a size of one's own
    double efficiency = 0.75; // share of the device's roofs attained (--efficiency)
    double energyScale = 1.0; // multiplies the 45 nm energy costs (--energy-scale)
    // --quantize-to-fit SIZE: the size the quantization plan aims for, and its order.
    std::optional<int64_t> quantizeToFit;
    QuantizeOrder quantizeOrder = QuantizeOrder::Activations;

    // The estimate's settings: the device (a default one, without roofs, when none is chosen),
    // the efficiency and the energy scale.
    PerformanceConfig performanceConfig() const;
};

struct Session {
    QString name; // the model as titles name it ("resnet50.onnx")
    std::shared_ptr<const Model> model;
    AnalysisConfig config; // as asked: a null runtime follows the device (result->config names it)
    std::shared_ptr<const AnalysisResult> result;
    BudgetChoice budget;
    std::optional<BatchFit> fit; // the largest batch that fits the budget, when searched
    // --mode generate: the prefill and decode steps (shared: a plan of 32k tokens is not copied
    // with the session, nor into the views)
    std::shared_ptr<const GenerationPlan> generation;
    std::optional<GenerationFit> generationFit; // and, with a budget, what fits
    std::optional<QuantizationPlan> quantization; // --quantize-to-fit: the layers lowered until it fits (the window: when searched)
    bool fitPending = false; // a search is under way (the window searches on a worker)

    bool isValid() const { return model && result; }
    // The budget in bytes; 0 without one.
    int64_t budgetBytes() const { return budget.bytes.value_or(0); }
    // The budget's name ("A100-80GB has 80 GiB"); empty for a size of one's own.
    QString budgetName() const { return QString::fromStdString(budget.name); }
    // The device the performance is estimated on; empty without one.
    QString deviceName() const;

    // The one energy rule: energy always (Horowitz's per-operation costs need no device),
    // latency and the roofline only with a device that gives its roofs (hasRoofline()). Computed
    // once per result and budget; empty without a result.
    std::shared_ptr<const PerformanceEstimate> performance() const;
    bool hasRoofline() const;

    // "batch 8, sequence 1024, bf16, training (adamw)": the configuration in one line (the
    // free configurationText below).
    QString configurationText() const;
    // footprint-cli's words for the peak against the budget ("fits, 1.50 GiB to spare"); empty
    // without a budget.
    std::string budgetVerdict() const;
    // The largest batch that fits: the search's answer, or searched now when none came yet.
    std::optional<BatchFit> batchFit() const;
    // A generation's largest batch and longest context that fit: the search's answer, or searched
    // now when none came yet; empty without a generation or a budget.
    std::optional<GenerationFit> generationFitNow() const;

    // `footprint-cli analyze --format json`: report.h's toJson, the performance and the budget.
    QJsonObject toJson(bool timeline = false) const;
    // `footprint-cli analyze --format csv`: a row per layer.
    QByteArray toCsv() const;
    // `footprint-cli analyze`'s table: the summary, the budget lines, the layers (`layerRows` as
    // formatLayers takes it) and the notes.
    std::string toTable(int layerRows = 15) const;

private:
    struct PerformanceCache {
        std::shared_ptr<const PerformanceEstimate> estimate;
        std::shared_ptr<const AnalysisResult> result; // what `estimate` is of
        std::string device;
        double efficiency = 0;
        double energyScale = 0;
    };
    mutable PerformanceCache m_cache;
};

// The configuration in one line, for titles, legends and the report: the batch the result used
// (the first input's batch axis), the other symbols it resolved, the resolution set, the
// precision, the mode (and optimizer) and the calibration. Session::configurationText() and the
// timeline's pinned-comparison legend say it so.
QString configurationText(const Model& model, const AnalysisResult& result, const AnalysisConfig& config);

// The runtime an analysis runs under: the one chosen (config.runtime), else pytorch-cuda when
// the budget's device is a GPU and pytorch-cpu otherwise. makeSession analyses with it.
AnalysisConfig withRuntime(AnalysisConfig config, const BudgetChoice& budget);

// Whether makeSession searches the largest batch that fits itself (the command line) or leaves
// it pending for the caller to search on a worker (the window).
enum class FitSearch { Now, Later };

// The one way to make a Session: analyses `model` with `config`, estimates the performance and,
// with a budget, searches the largest batch that fits (or marks the search pending). Throws as
// analyze() does.
Session makeSession(std::shared_ptr<const Model> model, const AnalysisConfig& config, const BudgetChoice& budget,
                    const QString& name = {}, FitSearch search = FitSearch::Now);

} // namespace fp
