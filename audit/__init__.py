"""The audit log: who changed what, when, field by field (secrets only as "changed").

Services record through `audit.trail`; entry points say who is acting through `audit.actors`.
"""
