"""The PBX user (FreePBX's AMPUSER): the person behind an internal number."""

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower

from directory.folding import FoldedSearch, folded_field
from directory.servers.current import default_id
from directory.users.call_features import fields as call_features
from directory.users.mailboxes import DEFAULT_OPTIONS, mailbox_email, mailbox_options
from directory.validators import SafeCharField, callerid_format, digits_only

NO_VOICEMAIL = "novm"
# The voicemail context of a mailbox turned on without naming one.
DEFAULT_VOICEMAIL_CONTEXT = "default"
# FreePBX's CONCURRENCYLIMITDEFAULT: at most 3 outbound calls at once per user, its guard
# against toll fraud from a stolen phone account (0 lifts the cap).
CONCURRENCY_LIMIT_DEFAULT = 3


def voicemail_setting(*, enabled: bool, context: str = "") -> str:
    """A user's `voicemail` for a mailbox turned on (in `context`, `default` when it names none)
    or off (`novm`, FreePBX's word). The pages' Voicemail switch and the files'
    `voicemail_enable` column both say it through here."""
    if not enabled:
        return NO_VOICEMAIL
    return context if context not in ("", NO_VOICEMAIL) else DEFAULT_VOICEMAIL_CONTEXT


class Recording(models.TextChoices):
    FORCE = "force", "Force"
    YES = "yes", "Yes"
    DONTCARE = "dontcare", "Don't care"
    NO = "no", "No"
    NEVER = "never", "Never"


class OnDemandRecording(models.TextChoices):
    DISABLED = "disabled", "Disabled"
    ENABLED = "enabled", "Enabled"
    OVERRIDE = "override", "Override"


class Toggle(models.TextChoices):
    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"


voicemail_context = RegexValidator(
    r"^[A-Za-z0-9_-]+\Z",
    "A voicemail context is letters, digits, - and _ (or novm for no voicemail).",
)
language_code = RegexValidator(r"^[A-Za-z0-9_-]*\Z", "A language is a code such as en or fr_FR.")
accountcode_chars = RegexValidator(
    r"^[A-Za-z0-9_.@-]*\Z", "An account code is letters, digits and . _ @ - only."
)


class PbxUser(FoldedSearch):
    extension = SafeCharField(
        primary_key=True,
        max_length=20,
        validators=[digits_only],
        help_text="The number people dial to reach this user.",
    )
    name = SafeCharField(
        "display name",
        max_length=80,
        help_text="Shown as caller ID name on internal calls.",
    )
    cid_num_alias = SafeCharField(
        "CID number alias",
        max_length=20,
        blank=True,
        validators=[digits_only],
        help_text="Number shown on internal calls instead of the extension.",
    )
    outboundcid = SafeCharField(
        "outbound CID",
        max_length=80,
        blank=True,
        validators=[callerid_format],
        help_text='Caller ID for external calls, e.g. "Sales" <5551234>.',
    )
    password = SafeCharField(
        "hot-desk password",
        max_length=20,
        blank=True,
        validators=[digits_only],
        help_text="Digits typed on a phone to log into a shared (adhoc) device. Empty: no hot desking.",
    )
    ringtimer = models.PositiveSmallIntegerField(
        "ring time",
        default=0,
        validators=[MaxValueValidator(120)],
        help_text="Seconds to ring before voicemail or busy; 0 uses the system default.",
    )
    cfringtimer = models.SmallIntegerField(
        "call forward ring time",
        default=0,
        validators=[MinValueValidator(-1), MaxValueValidator(120)],
        help_text="-1 always, 0 default, or 1-120 seconds.",
    )
    concurrency_limit = models.PositiveSmallIntegerField(
        "outbound concurrency limit",
        default=CONCURRENCY_LIMIT_DEFAULT,
        validators=[MaxValueValidator(120)],
        help_text="Outbound calls this user may make at once; 0 means no limit.",
    )
    voicemail = SafeCharField(
        "voicemail context",
        max_length=40,
        default=NO_VOICEMAIL,
        validators=[voicemail_context],
        help_text="The voicemail context (usually default), or novm for no voicemail.",
    )
    # The mailbox (FreePBX's Voicemail module); used while `voicemail` names a context.
    vm_pin = SafeCharField(
        "voicemail PIN",
        max_length=20,
        blank=True,
        validators=[digits_only],
        help_text="Digits asked when listening to messages. Empty: one is generated.",
    )
    vm_email = SafeCharField(
        "voicemail e-mail",
        max_length=120,
        blank=True,
        validators=[mailbox_email],
        help_text="New messages are e-mailed here.",
    )
    vm_pager = SafeCharField(
        "voicemail pager e-mail",
        max_length=120,
        blank=True,
        validators=[mailbox_email],
        help_text="A short notice of each new message is sent here.",
    )
    vm_options = SafeCharField(
        "voicemail options",
        max_length=400,
        blank=True,
        default=DEFAULT_OPTIONS,
        validators=[mailbox_options],
        help_text="key=value separated by |, e.g. attach=yes|saycid=no. Empty: voicemail.conf's [general] applies.",
    )
    callwaiting = models.BooleanField("call waiting", default=True)
    cwtone = SafeCharField(
        "call waiting tone",
        max_length=8,
        choices=Toggle.choices,
        default=Toggle.DISABLED,
    )
    answermode = SafeCharField(
        "internal auto answer",
        max_length=8,
        choices=Toggle.choices,
        default=Toggle.DISABLED,
    )
    intercom = SafeCharField(max_length=8, choices=Toggle.choices, default=Toggle.ENABLED)
    recording_in_external = SafeCharField(
        "record inbound external calls",
        max_length=8,
        choices=Recording.choices,
        default=Recording.DONTCARE,
    )
    recording_out_external = SafeCharField(
        "record outbound external calls",
        max_length=8,
        choices=Recording.choices,
        default=Recording.DONTCARE,
    )
    recording_in_internal = SafeCharField(
        "record inbound internal calls",
        max_length=8,
        choices=Recording.choices,
        default=Recording.DONTCARE,
    )
    recording_out_internal = SafeCharField(
        "record outbound internal calls",
        max_length=8,
        choices=Recording.choices,
        default=Recording.DONTCARE,
    )
    recording_ondemand = SafeCharField(
        "on-demand recording",
        max_length=8,
        choices=OnDemandRecording.choices,
        default=OnDemandRecording.DISABLED,
    )
    recording_priority = models.PositiveSmallIntegerField(
        "record priority", default=10, validators=[MaxValueValidator(20)]
    )
    accountcode = SafeCharField(max_length=40, blank=True, validators=[accountcode_chars])
    language = SafeCharField(max_length=16, blank=True, validators=[language_code])
    # Call features (directory/users/call_features/: FreePBX's donotdisturb, callforward and findmefollow).
    dnd = models.BooleanField(
        "do not disturb",
        default=False,
        help_text="Calls never ring the user's phones: voicemail, or busy without a mailbox.",
    )
    cf = SafeCharField(
        "forward all calls to",
        max_length=31,
        blank=True,
        validators=[call_features.forward_number],
        help_text="A number (internal or outside); empty: no forward. Phones: *72 / *73.",
    )
    cfb = SafeCharField(
        "forward when busy to",
        max_length=31,
        blank=True,
        validators=[call_features.forward_number],
        help_text="Phones: *90 / *91.",
    )
    cfu = SafeCharField(
        "forward on no answer or unavailable to",
        max_length=31,
        blank=True,
        validators=[call_features.forward_number],
        help_text="After the ring time, or at once when no phone of the user is reachable. Phones: *52 / *53.",
    )
    followme = models.BooleanField(
        "follow me",
        default=False,
        help_text="Calls also ring the follow-me list. Phones: *21 turns it on and off.",
    )
    followme_list = SafeCharField(
        "follow-me list",
        max_length=400,
        blank=True,
        validators=[call_features.followme_list_format],
        help_text="Numbers to ring, internal or outside, one per line.",
    )
    followme_prering = models.PositiveSmallIntegerField(
        "initial ring time",
        default=call_features.PRERING_DEFAULT,
        validators=[MaxValueValidator(call_features.PRERING_MAX)],
        help_text="Seconds the user's own phones ring before the list; 0 rings the list at once.",
    )
    followme_grptime = models.PositiveSmallIntegerField(
        "follow-me ring time",
        default=call_features.GRPTIME_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(call_features.GRPTIME_MAX)],
        help_text="Seconds the list rings (each number, when in turn).",
    )
    followme_strategy = SafeCharField(
        "follow-me ring strategy",
        max_length=16,
        choices=call_features.Strategy.choices,
        default=call_features.STRATEGY_DEFAULT,
    )
    followme_confirm = models.BooleanField(
        "confirm outside calls",
        default=False,
        help_text="An outside number on the list must press 1 to take the call (a mobile's voicemail cannot).",
    )
    # The Asterisk server the user lives on: its keys, voicemail and phones are there.
    server = models.ForeignKey(
        "servers.Server",
        on_delete=models.PROTECT,
        default=default_id,
        related_name="users",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The name folded for searching (portal/folding.py): `muller` finds `Müller`.
    name_folded = folded_field()
    FOLDED = {"name_folded": "name"}

    class Meta:
        verbose_name = "PBX user"
        ordering = ["extension"]
        # Names sort as people read them: "ada" beside "Ada", not after "Zoe".
        indexes = [models.Index(fields=["name"]), models.Index(Lower("name"), name="users_name_lower")]

    def __str__(self) -> str:
        return f"{self.extension} {self.name}"

    @property
    def has_voicemail(self) -> bool:
        return self.voicemail != NO_VOICEMAIL
