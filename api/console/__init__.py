"""The support console at `/support`: server-rendered GOV.UK pages for support staff to find
stuck cases, read one, and act on one or many. It calls the support desk in-process, the same
service the JSON API's support routes call, so the two cannot disagree."""
