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

ALL = (
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
)
