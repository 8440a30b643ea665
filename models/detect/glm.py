"""A weighted Poisson GLM (log link) fitted by IRLS, with what Farrington-type detectors need from it.

Written with numpy because statsmodels is not a dependency: the models here
are small (tens of rows, a dozen columns), so a plain IRLS loop is exact and fast.
Quasi-Poisson inference: the dispersion is estimated from Pearson residuals
and scales the coefficient covariance.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# a tiny ridge keeps IRLS finite when a factor level holds only zeros (its coefficient would run to -inf)
_RIDGE = 1e-6
_MAX_ETA = 30.0


@dataclass
class PoissonFit:
    coef: np.ndarray
    mu: np.ndarray
    dispersion: float          # Pearson chi2 / (n - p), floored at 1
    cov: np.ndarray            # dispersion * (X'WX)^-1
    hat: np.ndarray            # leverages
    converged: bool

    def predict(self, x0: np.ndarray) -> tuple[float, float]:
        """(mean, variance of the log-mean) at a new covariate row."""
        eta = float(np.clip(x0 @ self.coef, -_MAX_ETA, _MAX_ETA))
        return float(np.exp(eta)), float(x0 @ self.cov @ x0)

    def anscombe_residuals(self, y: np.ndarray) -> np.ndarray:
        """Standardised Anscombe residuals (Farrington et al. 1996, eq. for s_i)."""
        mu = np.maximum(self.mu, 1e-9)
        denom = np.sqrt(self.dispersion * np.maximum(1.0 - self.hat, 1e-6)) * mu ** (1.0 / 6.0)
        return 1.5 * (np.power(y, 2.0 / 3.0) - np.power(mu, 2.0 / 3.0)) / denom


def fit_poisson(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None,
                max_iter: int = 50, tol: float = 1e-8) -> PoissonFit:
    n, p = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    # start from the data (shifted off zero), as R's glm does
    mu = y + 0.1
    eta = np.log(mu)
    coef = np.zeros(p)
    converged = False
    ridge = _RIDGE * np.eye(p)
    for _ in range(max_iter):
        z = eta + (y - mu) / mu
        W = w * mu
        XtW = X.T * W
        new = np.linalg.solve(XtW @ X + ridge, XtW @ z)
        eta = np.clip(X @ new, -_MAX_ETA, _MAX_ETA)
        mu = np.exp(eta)
        if np.max(np.abs(new - coef)) < tol * (1.0 + np.max(np.abs(coef))):
            coef = new
            converged = True
            break
        coef = new
    W = w * mu
    info_inv = np.linalg.pinv((X.T * W) @ X + ridge)
    hat = np.einsum("ij,jk,ik->i", X, info_inv, X) * W
    dof = max(float(w.sum()) - p, 1.0)
    pearson = float(np.sum(w * (y - mu) ** 2 / np.maximum(mu, 1e-9)))
    dispersion = max(1.0, pearson / dof)
    return PoissonFit(coef=coef, mu=mu, dispersion=dispersion, cov=dispersion * info_inv, hat=hat,
                      converged=converged)
