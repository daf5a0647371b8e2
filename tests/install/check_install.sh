#!/usr/bin/env bash
# Installs the build into a fresh prefix and uses it as a desktop would, from outside the source
# tree: the launcher and MIME entry validate, and both installed programs open the sample.
# Usage: check_install.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1
work=$2
prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$prefix" > /dev/null
cd "$work" # nothing below may lean on the source or build tree

for f in bin/footprint bin/footprint-cli share/footprint/models/resnet18.onnx share/footprint/devices.json \
    share/applications/footprint.desktop share/mime/packages/footprint-onnx.xml \
    share/icons/hicolor/scalable/apps/footprint.svg; do
    [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done

desktop-file-validate "$prefix/share/applications/footprint.desktop"
grep -qx 'Exec=footprint %f' "$prefix/share/applications/footprint.desktop"
grep -qx 'MimeType=application/x-onnx;' "$prefix/share/applications/footprint.desktop"
# The MIME database compiles the entry (an invalid file is an error) and maps *.onnx to it.
update-mime-database "$prefix/share/mime"
grep -q '^application/x-onnx:\*\.onnx$' "$prefix/share/mime/globs"

# ResNet-18 has 11,689,512 parameters (torchvision's documentation); an A100-80GB's 80 GiB
# budget comes from the embedded presets, found without the source tree.
out=$("$prefix/bin/footprint-cli" analyze "$prefix/share/footprint/models/resnet18.onnx" --device A100-80GB)
grep -q '^Total parameters: *11689512 ' <<< "$out" || { echo "$out"; exit 1; }
grep -q '^Budget: *80.00 GiB (A100-80GB): fits' <<< "$out" || { echo "$out"; exit 1; }

# The window opens the bundled sample (no MODEL) and the installed copy, offscreen.
for model in "" "$prefix/share/footprint/models/resnet18.onnx"; do
    rm -f window.png
    args=()
    [ -z "$model" ] || args=("$model")
    QT_QPA_PLATFORM=offscreen "$prefix/bin/footprint" "${args[@]}" --screenshot window.png
    [ "$(stat -c %s window.png)" -gt 50000 ] || { echo "the window picture is nearly empty"; exit 1; }
done
echo "installed and opened from $prefix"
