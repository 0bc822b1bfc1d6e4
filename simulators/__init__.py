"""Stand-ins for WeCom, Aliyun and Tencent SMS and the OA to-do interfaces.

They speak the providers' documented request and answer shapes, check their credentials and
signatures, keep their limits, record what arrived and can be told to fail in each documented
way. They import nothing from duban, like the real providers. See docs/simulators.md.

``create_app(config)`` builds the FastAPI app (mount it anywhere);
``simulators.testing.running_simulator()`` runs one on a free port.
"""

from simulators.app import create_app
from simulators.config import SimulatorConfig, SmsTemplate, WeComApp

__all__ = ["SimulatorConfig", "SmsTemplate", "WeComApp", "create_app"]
