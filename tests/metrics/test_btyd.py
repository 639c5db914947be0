from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pytest
from scipy import integrate, special

from ecomkit.errors import ConfigError, ConvergenceError
from ecomkit.metrics import BetaGeo, GammaGamma, ParetoNBD, lifetime_value

# Fader, Hardie & Lee (2005) on the CDNOW sample (weeks)
PUBLISHED_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_PNBD = {"r": 0.553, "alpha": 10.58, "s": 0.606, "beta": 11.67}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def _close(got: dict[str, float], want: dict[str, float], rel: float) -> None:
    for name, value in want.items():
        assert got[name] == pytest.approx(value, rel=rel), name


def _direct_bg_ll(p: dict[str, float], x, tx, T) -> float:
    """BG/NBD likelihood written straight from FHL (2005) eq. 6, without logs of sums."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    like = (
        special.beta(a, b + x)
        / special.beta(a, b)
        * special.gamma(r + x)
        / special.gamma(r)
        * alpha**r
        / (alpha + T) ** (r + x)
    )
    extra = np.where(
        x > 0,
        special.beta(a + 1, b + x - 1)
        / special.beta(a, b)
        * special.gamma(r + x)
        / special.gamma(r)
        * alpha**r
        / (alpha + tx) ** (r + x),
        0.0,
    )
    return float(np.log(like + extra).sum())


def _direct_pnbd_ll(p: dict[str, float], x, tx, T) -> float:
    """Pareto/NBD likelihood by adaptive quadrature of the dropout-time integral."""
    r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
    total = 0.0
    for xi, ti, Ti in zip(x, tx, T):
        integral = integrate.quad(
            lambda u: (alpha + u) ** -(r + xi) * (beta + u) ** -(s + 1), ti, Ti, epsrel=1e-12
        )[0]
        head = special.gammaln(r + xi) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        total += head + np.log((alpha + Ti) ** -(r + xi) * (beta + Ti) ** -s + s * integral)
    return total


def test_betageo_cdnow_published(cdnow: pa.Table) -> None:
    model = BetaGeo.fit(cdnow)
    _close(dict(model.params), PUBLISHED_BG, 2e-3)
    assert model.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    x, tx, T = (cdnow[c].to_numpy() for c in ("frequency", "recency", "T"))
    assert model.log_likelihood == pytest.approx(_direct_bg_ll(dict(model.params), x, tx, T), rel=1e-10)
    assert model.n_customers == 2357
    with pytest.raises(AttributeError):
        model.r = 1.0  # type: ignore[misc]


def test_paretonbd_cdnow_published(cdnow: pa.Table) -> None:
    model = ParetoNBD.fit(cdnow)
    _close(dict(model.params), PUBLISHED_PNBD, 2e-3)
    assert model.log_likelihood == pytest.approx(-9595.0, abs=0.05)
    sample = slice(0, 2357, 40)
    x, tx, T = (cdnow[c].to_numpy()[sample] for c in ("frequency", "recency", "T"))
    ours = model.log_likelihood_of(cdnow.slice(0).take(np.arange(2357)[sample]))
    assert ours == pytest.approx(_direct_pnbd_ll(dict(model.params), x, tx, T), rel=1e-9)


def test_gammagamma_cdnow_published(cdnow: pa.Table) -> None:
    model = GammaGamma.fit(cdnow)
    _close(dict(model.params), PUBLISHED_GG, 2e-3)
    assert model.n_customers == 946


def test_models_match_lifetimes(cdnow: pa.Table) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    frame = cdnow.to_pandas()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bgf = lifetimes.BetaGeoFitter().fit(frame["frequency"], frame["recency"], frame["T"])
        ggf = lifetimes.GammaGammaFitter().fit(
            frame["frequency"][frame["frequency"] > 0], frame["monetary_value"][frame["frequency"] > 0]
        )
    bg, gg = BetaGeo.fit(cdnow), GammaGamma.fit(cdnow)
    _close(dict(bg.params), bgf.params_.to_dict(), 1e-4)
    _close(dict(gg.params), ggf.params_.to_dict(), 1e-4)
    # predictions at lifetimes' own parameters agree to rounding
    same = BetaGeo(**bgf.params_.to_dict())
    f, r, t = frame["frequency"], frame["recency"], frame["T"]
    np.testing.assert_allclose(
        same.conditional_expected_purchases(cdnow, 10).to_numpy(),
        bgf.conditional_expected_number_of_purchases_up_to_time(10, f, r, t),
        rtol=1e-8,
    )
    np.testing.assert_allclose(
        same.probability_alive(cdnow).to_numpy(), bgf.conditional_probability_alive(f, r, t), rtol=1e-10
    )
    np.testing.assert_allclose(
        same.probability_of_purchases(30, [0, 1, 4]).to_numpy(),
        [bgf.probability_of_n_purchases_up_to_time(30, n) for n in (0, 1, 4)],
        rtol=1e-8,
    )
    ours = lifetime_value(same, GammaGamma(**ggf.params_.to_dict()), cdnow, freq="D", days_per_month=30)
    theirs = ggf.customer_lifetime_value(bgf, f, r, t, frame["monetary_value"], time=12, freq="D")
    np.testing.assert_allclose(ours["clv"].to_numpy(), theirs.to_numpy(), rtol=1e-7)


def test_paretonbd_predictions_match_lifetimes(cdnow: pa.Table) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    frame = cdnow.to_pandas()
    fitter = lifetimes.ParetoNBDFitter()
    fitter.params_ = __import__("pandas").Series(PUBLISHED_PNBD)
    model = ParetoNBD(**PUBLISHED_PNBD)
    f, r, t = frame["frequency"], frame["recency"], frame["T"]
    np.testing.assert_allclose(
        model.probability_alive(cdnow).to_numpy(), fitter.conditional_probability_alive(f, r, t), rtol=1e-9
    )
    np.testing.assert_allclose(
        model.conditional_expected_purchases(cdnow, 39).to_numpy(),
        fitter.conditional_expected_number_of_purchases_up_to_time(39, f, r, t),
        rtol=1e-9,
    )


@pytest.mark.parametrize(
    ("model", "truth"),
    [
        ("betageo", {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}),
        ("paretonbd", {"r": 0.6, "alpha": 8.0, "s": 0.5, "beta": 12.0}),
    ],
)
def test_parameter_recovery(model: str, truth: dict[str, float], simulators) -> None:
    rng = np.random.default_rng(42)
    T = rng.uniform(20, 52, 6000)
    summary = simulators[model](*truth.values(), T=T, rng=rng)
    cls = BetaGeo if model == "betageo" else ParetoNBD
    fitted = cls.fit(summary)
    _close(dict(fitted.params), truth, 0.25)
    # the fitted optimum beats the truth, and the truth beats a clearly wrong model
    wrong = cls(**{k: v * 2 for k, v in truth.items()})
    assert fitted.log_likelihood >= cls(**truth).log_likelihood_of(summary) > wrong.log_likelihood_of(summary)


def test_gammagamma_recovery() -> None:
    rng = np.random.default_rng(3)
    p, q, v = 4.0, 3.0, 20.0
    nu = rng.gamma(q, 1 / v, 5000)
    x = rng.integers(1, 8, 5000)
    mean = np.array([rng.gamma(p, 1 / n, k).mean() for n, k in zip(nu, x)])
    fitted = GammaGamma.fit(pa.table({"frequency": x.astype(float), "monetary_value": mean}))
    _close(dict(fitted.params), {"p": p, "q": q, "v": v}, 0.2)


EXTREME = pa.table(
    {
        "frequency": [0.0, 0.0, 1.0, 1e5, 1e6, 3.0, 50.0],
        "recency": [0.0, 0.0, 0.0, 99.0, 1e3, 1e-9, 1e4],
        "T": [0.0, 1e4, 1e-6, 100.0, 1e3, 1e-9, 1e4],
        "monetary_value": [0.0, 0.0, 1e-6, 1e9, 3.0, 5.0, 1e-3],
    }
)


@pytest.mark.parametrize(
    "model",
    [
        BetaGeo(r=0.24, alpha=4.4, a=0.3, b=0.4),  # a + b < 1
        BetaGeo(r=50.0, alpha=0.01, a=1.0, b=1e-3),  # a exactly 1
        BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426),
        ParetoNBD(r=0.55, alpha=10.6, s=1.0, beta=11.7),  # s exactly 1
        ParetoNBD(r=20.0, alpha=0.01, s=0.01, beta=1e4),
    ],
)
def test_extreme_inputs_stay_finite(model: BetaGeo | ParetoNBD) -> None:
    ll = model.log_likelihood_of(EXTREME)
    assert np.isfinite(ll)
    alive = model.probability_alive(EXTREME).to_numpy()
    assert np.all(np.isfinite(alive))
    assert np.all((alive >= 0) & (alive <= 1))
    for t in (0.0, 1.0, 1e4):
        expected = model.conditional_expected_purchases(EXTREME, t).to_numpy()
        assert np.all(np.isfinite(expected))
        assert np.all(expected >= -1e-9)
    assert np.all(np.isfinite(model.expected_purchases([0.0, 1.0, 1e6]).to_numpy()))
    gg = GammaGamma(p=6.25, q=3.74, v=15.44)
    assert np.isfinite(gg.log_likelihood_of(EXTREME))
    clv = lifetime_value(model, gg, EXTREME, months=24)["clv"].to_numpy()
    assert np.all(np.isfinite(clv))


def test_probability_of_purchases_sums_to_one() -> None:
    model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    probs = model.probability_of_purchases(39.0, np.arange(0, 400)).to_numpy()
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.all(probs >= 0)
    mean = (np.arange(0, 400) * probs).sum()
    assert mean == pytest.approx(model.expected_purchases(39.0).to_numpy()[0], rel=1e-6)


def test_expected_purchases_agree_with_probabilities_for_pareto() -> None:
    # E[X(t)] from the closed form equals the conditional expectation of a brand-new customer
    model = ParetoNBD(r=0.55, alpha=10.6, s=0.6, beta=11.7)
    new = pa.table({"frequency": [0.0], "recency": [0.0], "T": [0.0]})
    assert model.conditional_expected_purchases(new, 39).to_numpy()[0] == pytest.approx(
        model.expected_purchases(39).to_numpy()[0], rel=1e-9
    )


def test_predict_appends_columns(cdnow: pa.Table) -> None:
    out = BetaGeo(**PUBLISHED_BG).predict(cdnow, t=10)
    assert out.column_names[-2:] == ["expected_purchases", "probability_alive"]
    assert out.num_rows == cdnow.num_rows


def test_bad_inputs_and_failed_fits() -> None:
    with pytest.raises(ConfigError, match="alpha"):
        BetaGeo(r=1, alpha=-1, a=1, b=1)
    bad = pa.table({"frequency": [1.0], "recency": [5.0], "T": [2.0]})
    with pytest.raises(ConfigError, match="recency"):
        BetaGeo.fit(bad)
    with pytest.raises(ConfigError, match="penalizer"):
        BetaGeo.fit(EXTREME, penalizer=-1)
    with pytest.raises(ConfigError, match="GammaGamma needs"):
        GammaGamma.fit(pa.table({"frequency": [0.0], "monetary_value": [0.0]}))
    never = pa.table({"frequency": [0.0] * 50, "recency": [0.0] * 50, "T": np.linspace(1, 50, 50)})
    with pytest.raises(ConfigError, match="no repeat purchases"):
        ParetoNBD.fit(never)
    # three identical repeaters among one-timers: the likelihood keeps rising towards a -> infinity
    few = pa.table(
        {"frequency": [1.0] * 3 + [0.0] * 50, "recency": [1.0] * 3 + [0.0] * 50, "T": np.linspace(1, 50, 53)}
    )
    with pytest.raises(ConvergenceError, match="BetaGeo fit did not converge"):
        BetaGeo.fit(few)


def test_penalizer_shrinks_parameters(cdnow: pa.Table) -> None:
    plain = BetaGeo.fit(cdnow)
    shrunk = BetaGeo.fit(cdnow, penalizer=0.1)
    assert shrunk.log_likelihood < plain.log_likelihood
    assert shrunk.b < plain.b
    assert shrunk.penalizer == 0.1


def test_paretonbd_probability_of_purchases_is_a_distribution() -> None:
    model = ParetoNBD(**PUBLISHED_PNBD)
    n = np.arange(0, 400)
    for t in (1.0, 39.0, 104.0):
        probs = model.probability_of_purchases(t, n).to_numpy()
        assert np.all(probs >= 0)
        assert probs.sum() == pytest.approx(1.0, abs=1e-9)
        assert (n * probs).sum() == pytest.approx(model.expected_purchases(t).to_numpy()[0], rel=1e-7)
    assert model.probability_of_purchases(0.0, [0, 1]).to_numpy().tolist() == [1.0, 0.0]
    # no purchase by t: alive throughout and silent, or dead before buying
    r, alpha, s, beta = PUBLISHED_PNBD.values()
    t = 20.0
    direct = (beta / (beta + t)) ** s * (alpha / (alpha + t)) ** r + integrate.quad(
        lambda u: (alpha / (alpha + u)) ** r * s * beta**s * (beta + u) ** -(s + 1), 0, t, epsrel=1e-12
    )[0]
    assert model.probability_of_purchases(t, 0).to_numpy()[0] == pytest.approx(direct, rel=1e-9)
    with pytest.raises(ConfigError, match="whole"):
        model.probability_of_purchases(1.0, 0.5)


def test_paretonbd_conditional_probability_matches_lifetimes(cdnow: pa.Table) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    fitter = lifetimes.ParetoNBDFitter()
    fitter.params_ = __import__("pandas").Series(PUBLISHED_PNBD)
    model = ParetoNBD(**PUBLISHED_PNBD)
    sample = cdnow.take(np.arange(0, 2357, 97))
    x, tx, T = (sample[c].to_numpy() for c in ("frequency", "recency", "T"))
    for n in (0, 1, 4):
        ours = model.conditional_probability_of_purchases(sample, 26.0, n).to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = np.ravel(fitter.conditional_probability_of_n_purchases_up_to_time(n, 26.0, x, tx, T))
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-12)
    total = sum(model.conditional_probability_of_purchases(sample, 26.0, k).to_numpy() for k in range(200))
    np.testing.assert_allclose(total, 1.0, atol=1e-9)
