"""The PyPI DeepStack clients against a running yoloo-detector-svc.

usage: deepstack_clients.py PORT IMAGE [API_KEY]

Without API_KEY the service must accept keyless requests; with it, the right
key must work and a wrong one must be refused. Exits non-zero on any mismatch.
"""
import sys

from deepstack.core import DeepstackObject, DeepstackException
from deepstack_sdk import Detection, ServerConfig

port, image_path = int(sys.argv[1]), sys.argv[2]
key = sys.argv[3] if len(sys.argv) > 3 else None
image = open(image_path, "rb").read()


def check_labels(labels, who):
    assert labels.count("person") >= 3, f"{who}: {labels}"
    print(f"{who}: {sorted(labels)}")


# deepstack-python (Home Assistant's client)
predictions = DeepstackObject("127.0.0.1", port, api_key=key or "", timeout=30).detect(image)
check_labels([p["label"] for p in predictions], "deepstack-python")
confidences = [p["confidence"] for p in predictions]
assert confidences == sorted(confidences, reverse=True), confidences
assert all(isinstance(p[k], int) for p in predictions for k in ("x_min", "y_min", "x_max", "y_max"))

# deepstack-sdk (DeepQuest's own)
response = Detection(ServerConfig(f"http://127.0.0.1:{port}", api_key=key)).detectObject(image, min_confidence=0.1)
labels = [d.label for d in response]
check_labels(labels, "deepstack-sdk")
assert "bus" in labels, labels  # 0.15 in yolov3-tiny, above 0.1

if key is not None:
    try:
        DeepstackObject("127.0.0.1", port, api_key="wrong-" + key, timeout=30).detect(image)
    except DeepstackException as e:
        assert "401" in str(e), e
        print("deepstack-python: wrong key refused:", e)
    else:
        sys.exit("deepstack-python: a wrong key was accepted")
    try:
        Detection(ServerConfig(f"http://127.0.0.1:{port}", api_key="wrong")).detectObject(image)
    except Exception as e:  # the SDK raises a bare Exception
        assert "401" in str(e), e
        print("deepstack-sdk: wrong key refused:", e)
    else:
        sys.exit("deepstack-sdk: a wrong key was accepted")
print("ok")
