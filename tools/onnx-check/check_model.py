"""check_model.py — onnx.checker with full checking (Debian python3-onnx):
    python3 check_model.py MODEL.onnx
Prints the opset, the IR version and the metadata_props as JSON on a
line, then "ok"; exits 1 with the checker's message when the model is
invalid."""
import json
import sys

import onnx


def main(path):
    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
    except onnx.checker.ValidationError as e:
        print(f"invalid: {e}", file=sys.stderr)
        return 1
    print(json.dumps({
        "ir_version": model.ir_version,
        "opset": [o.version for o in model.opset_import],
        "input": [i.name for i in model.graph.input],
        "output": [o.name for o in model.graph.output],
        "metadata": {p.key: p.value for p in model.metadata_props},
    }))
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
