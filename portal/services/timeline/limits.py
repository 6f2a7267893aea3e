"""The numbers the timeline counts with: unemployment allowances and thresholds, grace and duty spans.

Calendar spans shared beyond the timeline (six months read-only, 180 days of a pending STEM extension, the STEM
confirmation months) are in portal.services.clock.
"""

POST_COMPLETION_ALLOWANCE = 90  # DESIGN rule 16; 8 CFR 214.2(f)(10)(ii)(E)
STEM_EXTRA_ALLOWANCE = 60
WARNING_FROM = 60
NEARING_LIMIT_REMAINING = 30  # the DSO alert "Unemployment nearing the limit": 30 days or fewer left
EMAIL_THRESHOLDS = (60, 80)  # and the limit itself
EDIT_GRACE_DAYS = 15  # a job that ended with the OPT can still be reported within rule 15's ten days, and then some
DUTY_DUE_DAYS = 10  # DESIGN rule 15: within 10 days of each six-month mark, and of the STEM end
DUTY_REMINDER_DAYS = 30  # the portal reminds 30 days ahead
ACCESS_ENDING_DAYS = 30  # the "access ending" notice and the dashboard's "Save my record": 30 days before closing
