#include "modelloading.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QStringList>

namespace fp {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("fp::MainWindow", text);
}

} // namespace

QString modelFileFilter()
{
    QStringList filters;
    for (const ModelFormat& format : modelFormats()) {
        QStringList patterns;
        for (const std::string& extension : format.extensions)
            patterns << QStringLiteral("*") + QString::fromStdString(extension);
        filters << tr("%1 models (%2)").arg(QString::fromLatin1(format.name), patterns.join(u' '));
    }
    return (filters << tr("All files (*)")).join(QStringLiteral(";;"));
}

bool isResource(const QString& path)
{
    return path.startsWith(QLatin1String(":/"));
}

LoadedModel loadModel(const QString& path, std::shared_ptr<ReadProgress> progress)
{
    LoadedModel loaded;
    QElapsedTimer timer;
    timer.start();
    try {
        if (isResource(path)) {
            // Resources are compressed inside the executable, so there is no file to map.
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly))
                throw ModelError("the bundled model is missing from this build");
            const QByteArray bytes = file.readAll();
            const auto* data = reinterpret_cast<const uint8_t*>(bytes.constData());
            loaded.model = std::make_shared<const Model>(
                readModelBytes(data, size_t(bytes.size()), QFileInfo(path).fileName().toStdString(), {}, progress.get()));
        } else {
            loaded.model =
                std::make_shared<const Model>(readModel(encodeFileName(path), {}, progress.get()));
        }
    } catch (const ModelError& e) {
        loaded.error = QString::fromStdString(e.what());
    } catch (const std::bad_alloc&) {
        loaded.error = tr("not enough memory to read the model");
    } catch (const std::exception& e) {
        loaded.error = tr("internal error: %1").arg(QString::fromStdString(e.what()));
    }
    loaded.ms = double(timer.nsecsElapsed()) / 1e6;
    return loaded;
}

} // namespace fp
