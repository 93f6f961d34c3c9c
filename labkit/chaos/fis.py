"""How each part of a Chaos Toolkit experiment on labkit maps to AWS Fault Injection Service.

A table for the game-day lesson: the experiment's parts, then each labkit action with the FIS
action(s) that inject the same symptom on AWS. FIS names are from the AWS Fault Injection
Service User Guide, its actions reference and scenario library (lessons/sources.md, "fis");
the table itself is labkit's reading of them. Where FIS has no counterpart the row says so.

>>> rows = fis_mapping()
>>> rows[0]["Chaos Toolkit"], rows[0]["AWS FIS"]
('experiment (title, description, tags)', 'experiment template (description, tags)')
>>> next(r["AWS FIS"] for r in rows if r["labkit"] == "actions.wait")
'aws:fis:wait'
"""

from __future__ import annotations

_PARTS = [
    ("experiment (title, description, tags)", "run_experiment(experiment, system)",
     "experiment template (description, tags)",
     "one JSON/YAML document in both; FIS runs a template as an experiment"),
    ("configuration", "configuration (plain values, ${name} in arguments)",
     "template parameters are fixed in the template",
     "labkit adds the simulated system to it at run time"),
    ("steady-state-hypothesis (probes with tolerances)", "labkit.chaos.probes, checked before and after",
     "no built-in hypothesis: CloudWatch alarms and dashboards before and after, or the "
     "aws:cloudwatch:assert-alarm-state action",
     "chaostoolkit-lib checks it before the method (and stops if it fails) and after it"),
    ("probe", "probes.success_ratio, p99_latency, goodput, shed_share, backlog, ...",
     "CloudWatch metric or alarm", "a probe measures a window of the simulated past"),
    ("method: action", "labkit.chaos.actions (fault vocabulary)", "action (actionId, parameters)",
     "see the rows per action below"),
    ("action arguments: component, cell, zone",
     "a component, cell or failure domain of the architecture",
     "targets (resource type, ARNs or tags, filters, selection mode such as COUNT(1) or PERCENT(25))",
     "crash_cell picks every component only that cell needs, like a tag selecting one cell's resources"),
    ("action arguments: duration", "duration (null: until a rollback)",
     "duration parameter (ISO 8601, e.g. PT10M)", "a fault with a duration ends by itself in both"),
    ("pauses, ordering of the method", "simulated: pauses and actions.wait move the clock",
     "aws:fis:wait and startAfter", "nothing sleeps in real time in labkit"),
    ("controls: labkit.chaos.controls probes (like chaostoolkit-addons safeguards)",
     "stop conditions watched every step of simulated time",
     "stop conditions (CloudWatch alarms)",
     "crossing one halts the experiment: chaostoolkit status 'interrupted', FIS state 'stopped'"),
    ("rollbacks", "actions.restore, restore_cell, restore_all (run even after a halt)",
     "actions revert when their duration ends or the experiment stops (e.g. stopped instances restart)",
     "chaostoolkit-lib's 'default' strategy skips rollbacks after an interruption; labkit runs them "
     "'always' unless told otherwise"),
    ("journal (status, deviated, runs, rollbacks)", "ExperimentResult (journal, timeline, summary)",
     "experiment state and log (to CloudWatch Logs or S3), experiment report",
     "status: completed, failed, aborted or interrupted; FIS: completed, stopped or failed"),
]

_ACTIONS = [
    ("crash", "aws:ec2:stop-instances, aws:ec2:terminate-instances, aws:ecs:stop-task"),
    ("crash_cell", "aws:ec2:stop-instances on the targets tagged as one cell"),
    ("zone_outage", "aws:network:disrupt-connectivity on a zone's subnets; the AZ power "
                    "interruption scenario"),
    ("region_outage", "no single action; aws:network:route-table-disrupt-cross-region-connectivity "
                      "cuts a region off"),
    ("az_power_interruption", "scenario \"AZ Availability: Power Interruption\" (stop-instances, "
                              "ASG and launch capacity errors, disrupt-connectivity, pause EBS "
                              "I/O, RDS and ElastiCache failover: 30 min, then 30 min of recovery)"),
    ("bad_deploy", "no FIS action: a deployment (e.g. CodeDeploy) of a bad build to one wave"),
    ("added_latency", "aws:ssm:send-command AWSFIS-Run-Network-Latency, "
                      "aws:ecs:task-network-latency, aws:lambda:invocation-add-delay"),
    ("error_rate", "aws:fis:inject-api-internal-error, aws:lambda:invocation-error"),
    ("traffic_spike", "no FIS action: a load generator drives the traffic"),
    ("poison_request", "no FIS action: a crafted request; killing the process is "
                       "aws:ssm:send-command AWSFIS-Run-Kill-Process"),
    ("network_blip", "aws:network:disrupt-connectivity, aws:ssm:send-command "
                     "AWSFIS-Run-Network-Packet-Loss"),
    ("wait", "aws:fis:wait"),
    ("restore", "the end of an action's duration, or stopping the experiment"),
    ("restore_cell", "the end of an action's duration, or stopping the experiment"),
    ("restore_all", "stopping the experiment (fis:StopExperiment)"),
]


def fis_mapping() -> list[dict]:
    """Rows (``Chaos Toolkit``, ``labkit``, ``AWS FIS``, ``note``): first the parts of an
    experiment, then each labkit action (``labkit`` = ``actions.<name>``)."""
    rows = [{"Chaos Toolkit": ctk, "labkit": labkit, "AWS FIS": fis, "note": note}
            for ctk, labkit, fis, note in _PARTS]
    rows += [{"Chaos Toolkit": "action", "labkit": f"actions.{name}", "AWS FIS": fis, "note": ""}
             for name, fis in _ACTIONS]
    return rows
