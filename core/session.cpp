#include "session.h"

#include "format.h"
#include "report.h"
#include "runtime.h"
#include "shapes.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QStringList>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace fp {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("fp::Session", text);
}

} // namespace

PerformanceConfig BudgetChoice::performanceConfig() const
{
    PerformanceConfig performance;
    if (device)
        performance.device = *device;
    performance.efficiency = efficiency;
    performance.energy.scale = energyScale;
    return performance;
}

QString Session::deviceName() const
{
    return budget.device ? QString::fromStdString(budget.device->name) : QString();
}

std::shared_ptr<const PerformanceEstimate> Session::performance() const
{
    if (!result)
        return {};
    const std::string device = budget.device ? budget.device->name : std::string();
    if (!m_cache.estimate || m_cache.result != result || m_cache.device != device
        || m_cache.efficiency != budget.efficiency || m_cache.energyScale != budget.energyScale) {
        m_cache.estimate
            = std::make_shared<const PerformanceEstimate>(estimatePerformance(*result, config, budget.performanceConfig()));
        m_cache.result = result;
        m_cache.device = device;
        m_cache.efficiency = budget.efficiency;
        m_cache.energyScale = budget.energyScale;
    }
    return m_cache.estimate;
}

bool Session::hasRoofline() const
{
    const std::shared_ptr<const PerformanceEstimate> estimate = performance();
    return estimate && estimate->hasRoofline();
}

namespace {

QString configurationLine(const Model* model, const AnalysisResult* result, const AnalysisConfig& config)
{
    QStringList parts;
    std::string batchSymbol;
    if (result && model) {
        // The batch as the first input has it: its batch axis whether or not it is symbolic (and
        // then not named again among the symbols).
        for (int in : model->graph.inputs) {
            if (size_t(in) >= result->shapes.tensors.size())
                continue;
            const TensorInfo& info = result->shapes.tensors[size_t(in)];
            const size_t axis = size_t(batchAxis(model->graph, in));
            if (info.dims.size() > axis) {
                parts << tr("batch %1").arg(info.dims[axis]);
                const Value& value = model->graph.values[size_t(in)];
                if (value.declaredShape.size() > axis)
                    batchSymbol = value.declaredShape[axis].symbol;
                break;
            }
        }
        // A generation names its prompt and new tokens instead of the prefill's step dims.
        const StepSymbols step = config.generation ? stepSymbols(model->graph) : StepSymbols {};
        for (const auto& [name, value] : result->shapes.symbols) {
            if (name != batchSymbol && name != step.sequence && name != step.past && name != step.total)
                parts << QStringLiteral("%1 %2").arg(QString::fromStdString(name)).arg(value);
        }
    }
    // The resolution only where it applied: a model without image inputs has none.
    const bool hasImage = model && std::any_of(model->graph.inputs.begin(), model->graph.inputs.end(), [&](int in) {
        return isImageInput(model->graph.values[size_t(in)]);
    });
    if (hasImage && config.shapes.height && config.shapes.width)
        parts << QStringLiteral("%1x%2").arg(*config.shapes.height).arg(*config.shapes.width);
    parts << (config.precision == Precision::Model ? tr("model precision") : QString::fromLatin1(precisionName(config.precision)));
    if (config.fusions.any())
        parts << tr("fused %1").arg(QString::fromStdString(fusionsText(config.fusions)));
    if (config.layerPrecisions.size() > 2)
        parts << tr("%1 layer precisions").arg(config.layerPrecisions.size());
    else
        for (const LayerPrecision& rule : config.layerPrecisions)
            parts << QStringLiteral("%1 %2").arg(QString::fromStdString(rule.pattern), QString::fromLatin1(precisionName(rule.precision)));
    if (config.generation)
        parts << tr("generation (prompt %1 + %2 new tokens)").arg(config.generation->prompt).arg(config.generation->newTokens);
    else
        parts << (config.training.mode == Mode::Training
                      ? tr("training (%1)").arg(QString::fromLatin1(optimizerName(config.training.optimizer)))
                      : tr("inference"));
    const Recipe& recipe = config.training.recipe;
    if (recipe.autocast)
        parts << tr("AMP %1").arg(QString::fromLatin1(precisionName(*recipe.autocast)));
    if (config.training.mode == Mode::Training) {
        const MemoryPlan* plan = result ? &result->memory : nullptr;
        if (!recipe.checkpoint.empty())
            parts << (plan ? tr("checkpointing (%1 segments)").arg(plan->checkpointSegments) : tr("checkpointing"));
        if (recipe.freezes())
            parts << (plan ? tr("%1 trainable").arg(QString::fromStdString(formatCount(plan->trainableParams)))
                           : tr("frozen layers"));
        if (recipe.microBatch && plan && plan->accumulationSteps > 1)
            parts << tr("%1 micro-batches").arg(plan->accumulationSteps);
        if (recipe.dataParallel > 1 || recipe.zeroStage > 0) {
            QString sharding = recipe.zeroStage > 0 ? tr("ZeRO-%1 over %2 GPUs").arg(recipe.zeroStage).arg(recipe.dataParallel)
                                                    : tr("%1 data-parallel GPUs").arg(recipe.dataParallel);
            if (recipe.offload != Offload::None)
                sharding += tr(", %1 offloaded").arg(recipe.offload == Offload::Params ? tr("optimizer and parameters")
                                                                                       : tr("optimizer"));
            parts << sharding;
        }
    }
    const std::shared_ptr<const RuntimeProfile>& runtime = result ? result->config.runtime : config.runtime;
    parts << QString::fromLatin1(runtimeName(runtime ? runtime->runtime : Runtime::PyTorchCpu));
    if (!config.calibration.name.empty())
        parts << tr("calibrated for %1").arg(QString::fromStdString(config.calibration.name));
    return parts.join(QStringLiteral(", "));
}

} // namespace

QString configurationText(const Model& model, const AnalysisResult& result, const AnalysisConfig& config)
{
    return configurationLine(&model, &result, config);
}

QString Session::configurationText() const
{
    return configurationLine(model.get(), result.get(), config);
}

std::string Session::budgetVerdict() const
{
    if (!result || budgetBytes() <= 0)
        return {};
    return fp::budgetVerdict(budgetBytes(), result->totals.peakBytes, !result->unknownShapes.empty());
}

std::optional<BatchFit> Session::batchFit() const
{
    if (fit)
        return fit;
    if (!model || budgetBytes() <= 0)
        return std::nullopt;
    // The window searches on a worker; what is asked before it answers is searched here, so an
    // export never lacks the figure.
    return largestBatchThatFits(*model, result ? result->config : withRuntime(config, budget), budgetBytes());
}

std::optional<GenerationFit> Session::generationFitNow() const
{
    if (generationFit)
        return generationFit;
    if (!model || !generation || !config.generation || budgetBytes() <= 0)
        return std::nullopt;
    return fitGeneration(*model, result ? result->config : withRuntime(config, budget), config.generation->prompt,
                         config.generation->newTokens, budgetBytes());
}

QJsonObject Session::toJson(bool timeline) const
{
    if (!isValid())
        return {};
    const std::shared_ptr<const PerformanceEstimate> estimate = performance();
    QJsonObject root = fp::toJson(*model, result->config, *result, timeline, estimate.get());
    if (budgetBytes() > 0)
        addBudgetJson(root, budgetBytes(), result->totals.peakBytes, *batchFit(), budget.name);
    if (generation) {
        const GenerationPlan& g = *generation;
        QJsonObject o { { "prompt", qint64(g.prompt) },
                        { "new_tokens", qint64(g.newTokens) },
                        { "kv_cache_bytes", qint64(g.kvCacheBytes) },
                        { "prefill_peak_bytes", qint64(g.prefillPeakBytes) },
                        { "decode_peak_bytes", qint64(g.decodePeakBytes) },
                        { "peak_bytes", qint64(g.peakBytes) },
                        { "peak_is_lower_bound", g.peakIsLowerBound },
                        { "shared_buffer", g.sharedBuffer },
                        { "sequence_dim", QString::fromStdString(g.sequenceSymbol) },
                        { "past_dim", QString::fromStdString(g.pastSymbol) } };
        if (g.hasLatency) {
            o.insert("prefill_latency_s", g.prefillSeconds);
            o.insert("decode_latency_s", g.lastDecodeSeconds); // per token, the last (slowest) one
            o.insert("total_latency_s", g.totalSeconds);
        }
        if (generationFit) {
            o.insert("max_batch", qint64(generationFit->maxBatch));
            o.insert("max_context", qint64(generationFit->maxContext));
        }
        if (timeline) {
            QJsonArray steps;
            for (int64_t bytes : g.stepPeakBytes)
                steps.append(qint64(bytes));
            o.insert("step_peak_bytes", steps);
        }
        root.insert("generation", o);
    }
    if (quantization) {
        const QuantizationPlan& q = *quantization;
        QJsonArray steps;
        for (const QuantizationStep& s : q.steps)
            steps.append(QJsonObject { { "layer", QString::fromStdString(s.layer) },
                                       { "precision", precisionName(s.precision) },
                                       { "peak_bytes", qint64(s.peakBytes) } });
        root.insert("quantization_plan", steps);
        root.insert("quantization", QJsonObject { { "budget_bytes", qint64(q.budgetBytes) },
                                                  { "order", quantizeOrderName(q.order) },
                                                  { "start_peak_bytes", qint64(q.startPeakBytes) },
                                                  { "fits", q.fits },
                                                  { "all_lowered_peak_bytes", qint64(q.allLoweredPeakBytes) },
                                                  { "candidates", q.candidates } });
    }
    return root;
}

QByteArray Session::toCsv() const
{
    if (!isValid())
        return {};
    return QByteArray::fromStdString(formatCsv(*model, *result, performance().get()));
}

std::string Session::toTable(int layerRows) const
{
    if (!isValid())
        return {};
    const std::shared_ptr<const PerformanceEstimate> estimate = performance();
    std::ostringstream out;
    out << formatSummary(*model, *result, estimate.get(), &result->config.calibration);
    if (budgetBytes() > 0) {
        const BatchFit found = *batchFit();
        out << "Budget:                   " << formatBytes(budgetBytes())
            << (budget.name.empty() ? std::string() : " (" + budget.name + ")") << ": " << budgetVerdict() << '\n'
            << (result->memory.accumulationSteps > 1 ? "Largest micro-batch:      " : "Largest batch that fits:  ")
            << batchFitText(found) << '\n';
    }
    if (generation) {
        const GenerationPlan& g = *generation;
        const std::string bound = g.peakIsLowerBound ? "at least " : "";
        out << "Generation:               prompt " << g.prompt << " + " << g.newTokens << " new tokens (" << g.sequenceSymbol
            << ", " << g.pastSymbol << ")" << (g.sharedBuffer ? ", the KV cache one buffer of P + T tokens" : "")
            << "; the layers below are the prefill's\n"
            << "KV cache at the last token: " << formatBytes(g.kvCacheBytes) << '\n'
            << "Prefill peak:             " << bound << formatBytes(g.prefillPeakBytes) << '\n'
            << "Decode peak:              " << bound << formatBytes(g.decodePeakBytes) << " (the last token's)\n"
            << "Generation peak:          " << bound << formatBytes(g.peakBytes) << '\n';
        if (g.hasLatency) {
            char text[200];
            std::snprintf(text, sizeof text, "prefill %.3f ms, a decode step %.3f to %.3f ms, all %lld tokens %.1f ms",
                          g.prefillSeconds * 1e3, g.firstDecodeSeconds * 1e3, g.lastDecodeSeconds * 1e3,
                          static_cast<long long>(g.newTokens), g.totalSeconds * 1e3);
            out << "Generation time (roofline): " << text << '\n';
        }
        if (generationFit)
            out << "Largest batch (generation): " << generationFit->maxBatch << '\n'
                << "Longest context at batch " << result->config.shapes.batch.value_or(1) << ": "
                << generationFit->maxContext << " tokens (prompt " << g.prompt << " + new)\n";
    }
    if (quantization)
        out << formatQuantizationPlan(*quantization);
    out << '\n' << formatLayers(*model, *result, estimate.get(), layerRows) << formatNotes(*result);
    return out.str();
}

AnalysisConfig withRuntime(AnalysisConfig config, const BudgetChoice& budget)
{
    if (!config.runtime)
        config.runtime = builtinRuntime(budget.device && budget.device->gpu ? Runtime::PyTorchCuda : Runtime::PyTorchCpu);
    return config;
}

Session makeSession(std::shared_ptr<const Model> model, const AnalysisConfig& config, const BudgetChoice& budget,
                    const QString& name, FitSearch search)
{
    Session session;
    session.name = name;
    session.config = config;
    session.budget = budget;
    if (!model)
        return session;
    AnalysisConfig analysed = withRuntime(config, budget);
    if (config.generation) {
        // The steps a generation plans; the session's own analysis is its prefill.
        const GenerationConfig& g = *config.generation;
        const PerformanceConfig performance = budget.performanceConfig();
        session.generation = std::make_shared<const GenerationPlan>(
            planGeneration(*model, analysed, g.prompt, g.newTokens, budget.device ? &performance : nullptr));
        if (budget.bytes && search == FitSearch::Now)
            session.generationFit = fitGeneration(*model, analysed, g.prompt, g.newTokens, *budget.bytes);
        analysed = prefillConfig(*model, analysed, g.prompt);
    }
    session.result = std::make_shared<const AnalysisResult>(analyze(*model, analysed));
    session.model = std::move(model);
    session.performance(); // once per result: the views and exports share it
    if (budget.quantizeToFit)
        session.quantization = quantizeToFit(*session.model, analysed, *budget.quantizeToFit, budget.quantizeOrder);
    if (budget.bytes) {
        if (search == FitSearch::Now)
            session.fit = largestBatchThatFits(*session.model, analysed, *budget.bytes);
        else
            session.fitPending = true;
    }
    return session;
}

} // namespace fp
