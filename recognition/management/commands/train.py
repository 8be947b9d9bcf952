"""Train a character classifier from EMNIST and record it as a model version, or
fine-tune the active model on reviewers' corrections.

    python manage.py train --version hwr-cnn-2 --epochs 10
    python manage.py train --from-feedback             # queue a run on the training queue
    python manage.py train --from-feedback --here      # run it in this process and wait
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recognition import services


class Command(BaseCommand):
    help = "Train the character classifier (see training/train.py), or fine-tune it from corrections."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Our --version names the model version; it replaces Django's own --version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--version", help="name of the new model version (training from EMNIST)")
        parser.add_argument("--out", help="model directory (default: training/models/<version>)")
        parser.add_argument("--emnist", default=str(settings.HWR_DATA_DIR / "emnist" / "emnist-byclass.npz"))
        parser.add_argument("--epochs", type=int, default=None, help="default: 10, or 6 with --from-feedback")
        parser.add_argument("--copies", type=int, default=1)
        parser.add_argument("--limit", type=int, default=0)
        parser.add_argument("--activate", action="store_true", help="make it the active model")
        feedback = parser.add_argument_group("fine-tuning from corrections (training/finetune.py)")
        feedback.add_argument("--from-feedback", action="store_true",
                              help="fine-tune the active model on the base data plus every labelled sample")
        feedback.add_argument("--here", action="store_true",
                              help="run the fine-tuning in this process instead of queueing it")
        feedback.add_argument("--base-samples", type=int, default=None, help="EMNIST glyphs mixed in")
        feedback.add_argument("--segmenter-words", type=int, default=None)
        feedback.add_argument("--feedback-copies", type=int, default=None, help="variations per corrected crop")
        feedback.add_argument("--feedback-share", type=float, default=None, help="loss weight of the corrections")
        feedback.add_argument("--reader-epochs", type=int, default=None,
                              help="epochs for the sequence reader on corrected words (0: keep it as it is)")
        feedback.add_argument("--reader-base-fields", type=int, default=None, help="generated fields mixed in")
        feedback.add_argument("--reader-writer-fields", type=int, default=None,
                              help="generated fields written partly with the corrected characters' glyphs")
        feedback.add_argument("--line-steps", type=int, default=None,
                              help="steps for the line reader on corrected lines (0: keep it as it is)")
        feedback.add_argument("--line-learning-rate", type=float, default=None,
                              help="the line reader's peak learning rate when fine-tuned")
        feedback.add_argument("--line-feedback-share", type=float, default=None,
                              help="share of each line batch taken from corrected lines (the rest: lines/ train)")

    def handle(self, *args, **opts):
        if opts["from_feedback"]:
            return self.from_feedback(opts)
        if not opts["version"]:
            raise CommandError("--version is required (or --from-feedback)")
        from training import train

        out = Path(opts["out"] or settings.BASE_DIR / "training" / "models" / opts["version"])
        train.main([
            "--emnist", opts["emnist"], "--out", str(out), "--version", opts["version"],
            "--epochs", str(opts["epochs"] or 10), "--copies", str(opts["copies"]), "--limit", str(opts["limit"]),
        ])
        version = services.register_model_version(out, activate=opts["activate"])
        self.stdout.write(f"recorded model version {version.name}" + (" (active)" if version.is_active else ""))

    def from_feedback(self, opts):
        from recognition.models import ModelVersion
        from recognition.retraining import services as retraining
        from recognition.tasks import train_from_feedback

        names = ("epochs", "base_samples", "segmenter_words", "feedback_copies", "feedback_share", "reader_epochs",
                 "reader_base_fields", "reader_writer_fields", "line_steps", "line_learning_rate",
                 "line_feedback_share")
        options = {name: opts[name] for name in names if opts[name] is not None}
        try:
            version = retraining.queue_training(options=options, enqueue=not opts["here"])
            if opts["here"]:
                train_from_feedback(version.id)  # the task's body, in this process
                version.refresh_from_db()
        except retraining.TrainingRefused as exc:
            raise CommandError(str(exc)) from exc
        if version.status == ModelVersion.Status.QUEUED:
            self.stdout.write(f"queued {version.name} (from {version.parent.name}) on the "
                              f"'{settings.HWR_TRAINING_QUEUE}' queue; follow it at /api/models/{version.id}/")
            return
        self.stdout.write(f"{version.name}: {version.status}. {version.activation_note or version.error}")

