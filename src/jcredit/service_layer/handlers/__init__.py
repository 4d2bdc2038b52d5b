"""Command handlers, one module per feature; ``HANDLERS`` maps each command to its handler."""

from __future__ import annotations

from jcredit.service_layer import commands
from jcredit.service_layer.handlers import accounts
from jcredit.service_layer.handlers import cases
from jcredit.service_layer.handlers import dmrv
from jcredit.service_layer.handlers import dmrv_decisions
from jcredit.service_layer.handlers import invalidations
from jcredit.service_layer.handlers import issuance
from jcredit.service_layer.handlers import monitoring
from jcredit.service_layer.handlers import offsets
from jcredit.service_layer.handlers import organisations
from jcredit.service_layer.handlers import projects
from jcredit.service_layer.handlers import registration
from jcredit.service_layer.handlers import registry
from jcredit.service_layer.handlers import removals
from jcredit.service_layer.handlers import transfers
from jcredit.service_layer.handlers import users
from jcredit.service_layer.messagebus import Handler

HANDLERS: dict[type[commands.Command], Handler] = {
    commands.InitialiseRegistry: registry.initialise_registry,
    commands.CreateOrganisation: organisations.create_organisation,
    commands.OpenAccount: accounts.open_account,
    commands.CreateUser: users.create_user,
    commands.ChangePassword: users.change_password,
    commands.RevokeSessions: users.revoke_sessions,
    commands.IssueCredits: issuance.issue_credits,
    commands.TransferCredits: transfers.transfer_credits,
    commands.CorrectHolding: transfers.correct_holding,
    commands.ApplyInvalidation: invalidations.apply_invalidation,
    commands.ExecuteInvalidations: invalidations.execute_invalidations,
    commands.WithdrawInvalidation: invalidations.withdraw_invalidation,
    commands.RetireCredits: removals.retire_credits,
    commands.CancelCredits: removals.cancel_credits,
    commands.AccreditVerifier: projects.accredit_verifier,
    commands.CreateProject: projects.create_project,
    commands.AddActivity: projects.add_activity,
    commands.AddActivities: projects.add_activities,
    commands.RemoveActivity: projects.remove_activity,
    commands.AssignVerifier: projects.assign_verifier,
    commands.ProjectTransition: registration.project_transition,
    commands.OpenMonitoringPeriod: monitoring.open_monitoring_period,
    commands.SubmitMonitoringData: monitoring.submit_monitoring_data,
    commands.PeriodTransition: monitoring.period_transition,
    commands.AttachEvidence: projects.attach_evidence,
    commands.ImportExternalRegistrations: projects.import_external_registrations,
    commands.ImportRegisteredProjects: projects.import_registered_projects,
    commands.DecideHold: dmrv_decisions.decide_hold,
    commands.RegisterDevice: dmrv.register_device,
    commands.RegisterDevices: dmrv.register_devices,
    commands.RotateDeviceKey: dmrv.rotate_device_key,
    commands.RevokeDeviceKey: dmrv.revoke_device_key,
    commands.PublishOffsetFactors: offsets.publish_factors,
    commands.SaveOffsetCalculation: offsets.save_calculation,
    commands.ApplyOffset: offsets.apply_offset,
    commands.IssueOffsetCertificate: offsets.issue_certificate,
    commands.SubmitCase: cases.submit_case,
    commands.ReviewCase: cases.review_case,
}
