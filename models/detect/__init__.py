"""Detectors of surges and drops in count series, behind one interface (`Detector`).

    from models.detect import detect_counts, default_detector
    alarms = detect_counts(df)            # df: series, period, count

Every detector takes a count Series indexed by consecutive period strings and
returns one `ews.kernel.schema.Detection` per period it could judge; see `base.py`.
"""
from models.detect.agree import AgreementDetector
from models.detect.base import Detector, LowCountGuard
from models.detect.counts import DetectionRun, detect_counts, run_detection, series_from_rows
from models.detect.ears import EARSC1Detector, EARSC2Detector, EARSC3Detector
from models.detect.farrington import FarringtonFlexibleDetector
from models.detect.farrington_r import FarringtonFlexibleReference
from models.detect.glr import GLRShiftDetector
from models.detect.holt import RobustHoltDetector
from models.detect.loglinear import LogLinearDetector
from models.detect.robust import RobustBaselineDetector
from models.detect.select import AutoDetector, default_detector, is_policy_series, policy_detector, yearly_detector
from models.detect.sensitivity import Sensitivity, SensitivityError, load_sensitivity, rescaled
from models.detect.share import ApplicantShareDetector, ShareShiftDetector

__all__ = ["AgreementDetector", "Detector", "LowCountGuard", "EARSC1Detector", "EARSC2Detector", "EARSC3Detector",
           "FarringtonFlexibleDetector", "FarringtonFlexibleReference", "GLRShiftDetector", "RobustHoltDetector", "LogLinearDetector", "detect_counts", "run_detection", "DetectionRun", "Sensitivity", "SensitivityError", "load_sensitivity", "rescaled", "ShareShiftDetector", "ApplicantShareDetector", "series_from_rows", "RobustBaselineDetector",
           "AutoDetector", "default_detector", "yearly_detector", "policy_detector", "is_policy_series"]


def all_detectors() -> list[Detector]:
    """One instance of every detector class with its default settings (the contract test runs them all)."""
    return [RobustBaselineDetector(), LogLinearDetector(), FarringtonFlexibleDetector(), GLRShiftDetector(), EARSC1Detector(),
            EARSC2Detector(), EARSC3Detector(), *reference_detectors(b=2), RobustHoltDetector(), yearly_detector(),
            default_detector()]


def reference_detectors(b: int = 5) -> list[Detector]:
    """The R `surveillance`-exact modes (EARS C1-C3, farringtonFlexible with `b` years back)."""
    return [EARSC1Detector(reference=True), EARSC2Detector(reference=True), EARSC3Detector(reference=True),
            FarringtonFlexibleReference(b=b)]
