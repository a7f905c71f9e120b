"""Every sound prompt the hot-desk service and the generated dialplan play, in one place.

Only prompts of Asterisk's core sound set (Debian's asterisk-core-sounds-*):
FreePBX's own prompts (please-enter-your-extension-then-press-pound,
an-error-has-occurred) come with its extra sounds, and GET DATA on a prompt
that is missing answers -1 at once, which ended the call on a stock Asterisk.
A test checks every name here against the core set's file list. The login
conversation uses the core set's agent-login prompts, the closest it has.
"""

ASK_USER = "agent-user"  # the agent-login prompt: your number, then pound
ASK_PIN = "agent-pass"  # your password, then pound
WRONG_PIN = "auth-incorrect"
LOGGED_IN = "agent-loginok"
LOGGED_OFF = "agent-loggedoff"
INVALID = "pbx-invalid"
IS_UNAVAILABLE = "vm-isunavail"
GOODBYE = "vm-goodbye"
SORRY = "im-sorry"
TRY_LATER = "please-try-call-later"  # locked out, or the service could not be reached

# Call features from the phone (asterisk/call_features/agi.py), FreePBX's words where the core
# set has them: "do not disturb activated", "call forwarding unconditional for extension 2001
# is set to 2003", "call waiting de-activated". Follow me has no prompt of its own there.
DND = "do-not-disturb"
CALL_WAITING = "call-waiting"
FORWARD_ALL = "call-fwd-unconditional"
FORWARD_BUSY = "call-fwd-on-busy"
FORWARD_NO_ANSWER = "call-fwd-no-ans"
ACTIVATED = "activated"
DEACTIVATED = "de-activated"
FOR = "for"
EXTENSION = "extension"
IS_SET_TO = "is-set-to"
ASK_NUMBER = "vm-enter-num-to-call"  # the number to forward to, then pound
# Follow-me's confirmation, asked of an outside number that answers (app_followme's prompts).
FOLLOWME_CALL_FROM = "followme/call-from"
FOLLOWME_OPTIONS = "followme/options"

# An outbound route whose every trunk is unreachable or full (FreePBX's words).
ALL_CIRCUITS_BUSY = "all-circuits-busy-now"

ALL = (
    ALL_CIRCUITS_BUSY,
    ASK_USER,
    ASK_PIN,
    WRONG_PIN,
    LOGGED_IN,
    LOGGED_OFF,
    INVALID,
    IS_UNAVAILABLE,
    GOODBYE,
    SORRY,
    TRY_LATER,
    DND,
    CALL_WAITING,
    FORWARD_ALL,
    FORWARD_BUSY,
    FORWARD_NO_ANSWER,
    ACTIVATED,
    DEACTIVATED,
    FOR,
    EXTENSION,
    IS_SET_TO,
    ASK_NUMBER,
    FOLLOWME_CALL_FROM,
    FOLLOWME_OPTIONS,
)
