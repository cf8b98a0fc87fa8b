#!/usr/bin/env bash
# CI: build the wheel, install it (not editable) into a fresh venv and use it as a new user would.
#
# The wheel is built from a copy of the source tree (no stale build/ folder can add what the
# packaging left out) and checked file by file against the tree (tests/test_wheel.py). The fresh
# venv gets srzoo from the wheel with pip and sees the wheel's declared dependencies, transitively,
# linked from this environment (.ci/link_deps.py: nothing downloaded, nothing else visible). From a
# folder outside the source tree it runs srzoo list, info, bench on a chart, a 2-step training of
# a narrow Stage-GAN on generated images and an upscale with the trained weights.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python=$(command -v python)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$SECONDS

echo "--- wheel: build from a copy of the source tree"
mkdir "$work/source" "$work/dist"
(cd "$repo" && git ls-files --cached --others --exclude-standard -z | tar --null -T - -cf -) | tar -xf - -C "$work/source"
"$python" -m pip wheel --no-deps --no-build-isolation -q -w "$work/dist" "$work/source"
wheel=$(ls "$work"/dist/srzoo-*.whl)
SRZOO_WHEEL="$wheel" "$python" -m pytest -q -p no:cacheprovider -m slow "$repo/tests/test_wheel.py"

echo "--- wheel: install into a fresh venv"
"$python" -m venv --without-pip "$work/venv"  # this environment's pip installs into it
"$python" "$repo/.ci/link_deps.py" "$wheel" "$work/deps"
site=$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
echo "$work/deps" >"$site/srzoo-smoke-deps.pth"
"$python" -m pip --python "$work/venv/bin/python" install -q --no-deps --no-index "$wheel"
"$python" -m pip --python "$work/venv/bin/python" check

echo "--- wheel: use it from outside the source tree"
mkdir "$work/user"
cd "$work/user"
export PATH="$work/venv/bin:$PATH" OMP_NUM_THREADS=2
python - "$repo" <<'EOF'
import sys
from pathlib import Path

import srzoo

where = Path(srzoo.__file__).resolve()
assert Path(sys.argv[1]) not in where.parents, f"srzoo imported from the source tree: {where}"
print(f"srzoo {srzoo.__version__} from {where.parent}")
EOF
srzoo list recipe >recipes.txt && grep -q stagegan-x8-small recipes.txt
srzoo info stagegan-x8 >info.txt && grep -q "Stage-GAN" info.txt
echo "--- srzoo bench: srzoo's shipped weights on one chart ($((SECONDS - started)) s)"
srzoo bench --data charts --limit 1 --methods srcnn-x4,lapsrn-x8 --pretrained --format json >bench.json
python - <<'EOF'
import json

results = {r["method"]: r for r in json.load(open("bench.json"))["results"]}
assert set(results) == {"srcnn-x4", "lapsrn-x8"} and all(r["psnr"] > 10 for r in results.values()), results
EOF

python - <<'EOF'
"""Four 512x256 pix2pix-layout images (photo | label map) for train/ and one for test/."""
from pathlib import Path

import numpy as np
from PIL import Image

rng = np.random.default_rng(0)
for split, count in (("train", 4), ("test", 1)):
    Path("facades", split).mkdir(parents=True)
    for index in range(count):
        coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        photo = np.asarray(Image.fromarray(coarse).resize((256, 256), Image.BICUBIC))
        label = np.asarray(Image.fromarray(coarse // 64 * 64).resize((256, 256), Image.NEAREST))
        Image.fromarray(np.concatenate([photo, label], axis=1)).save(f"facades/{split}/{index}.jpg")
EOF
echo "--- srzoo train, then upscale with its weights ($((SECONDS - started)) s)"
narrow=(--set sem.ngf=8 --set s2.ngf=8 --set sr.ngf=8 --set sem.num_downs=5 --set s2.num_downs=5
  --set input_multiple=8 --set d0.ndf=8 --set d1.ndf=8 --set d2.ndf=8)
srzoo train stagegan-x4 --data facades --out run --max-steps 2 --patch-size 64 --batch-size 2 \
  --val-images 1 --quiet "${narrow[@]}"
srzoo upscale --model run/recipe.toml --weights run/model.safetensors --out zone-plate-x4.png chart:zone-plate
python -c 'from PIL import Image; size = Image.open("zone-plate-x4.png").size; assert size == (1024, 1024), size'
echo "wheel smoke passed in $((SECONDS - started)) s"
