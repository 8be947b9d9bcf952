"""Thin API views for review and retraining: corrections of lines, words and characters,
labelled samples, model versions and training runs. A refusal (a correction that cannot
be made, a run that cannot start) is answered by api/exceptions.py."""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from ..retraining import services as retraining
from ..review import selectors as review_selectors
from ..review import services as review
from .review_serializers import (
    CorrectionSerializer,
    LineCorrectionSerializer,
    MergeSerializer,
    ModelVersionSerializer,
    NewLineSerializer,
    ReviewedCharSerializer,
    ReviewedLineSerializer,
    ReviewedWordSerializer,
    SampleSerializer,
    SplitSerializer,
    TrainSerializer,
    WordMergeSerializer,
    WordSplitSerializer,
)


class LineViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A recognised line with its words: read it, correct its whole text, its type or its
    place in reading order, delete it, or draw a line the line finder missed."""

    serializer_class = ReviewedLineSerializer

    def get_queryset(self):
        return review_selectors.lines_visible_to(self.request.user)

    def _line(self, line_id: int, code: int = status.HTTP_200_OK) -> Response:
        return Response(ReviewedLineSerializer(self.get_queryset().get(pk=line_id)).data, status=code)

    @extend_schema(request=LineCorrectionSerializer, responses={200: ReviewedLineSerializer})
    def partial_update(self, request: Request, pk=None) -> Response:
        line = self.get_object()
        data = LineCorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = data.validated_data
        if "text" in change:
            review.correct_line(line, change["text"], request.user)
        elif "kind" in change:
            review.set_line_kind(line, change["kind"], request.user)
        else:
            review.move_line(line, change["order"], request.user)
        return self._line(line.pk)

    @extend_schema(request=NewLineSerializer, responses={201: ReviewedLineSerializer})
    def create(self, request: Request) -> Response:
        data = NewLineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = review_selectors.jobs_visible_to(request.user).filter(pk=data.validated_data["job"]).first()
        if job is None:
            return Response({"detail": "No such job."}, status=status.HTTP_404_NOT_FOUND)
        line = review.add_line(job, data.validated_data["bbox"], request.user, data.validated_data["text"])
        return self._line(line.pk, status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk=None) -> Response:
        review.delete_line(self.get_object(), request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WordViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A recognised word: read it, correct its text, mark it as not text, split it in two
    words or merge it with its neighbour. A split or a merge answers with its line."""

    serializer_class = ReviewedWordSerializer

    def get_queryset(self):
        return review_selectors.words_visible_to(self.request.user)

    @extend_schema(request=CorrectionSerializer, responses={200: ReviewedWordSerializer})
    def partial_update(self, request: Request, pk=None) -> Response:
        word = self.get_object()
        data = CorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "text" in data.validated_data:
            word = review.correct_word(word, data.validated_data["text"], request.user)
        else:
            word = review.set_not_text(word, request.user, data.validated_data["not_text"])
        return Response(ReviewedWordSerializer(self.get_queryset().get(pk=word.pk)).data)

    @extend_schema(request=WordSplitSerializer, responses={200: ReviewedLineSerializer})
    @action(detail=True, methods=["post"])
    def split(self, request: Request, pk=None) -> Response:
        word = self.get_object()
        data = WordSplitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review.split_word(word, data.validated_data["texts"], request.user, data.validated_data.get("at"))
        return self._line(word.line_id)

    @extend_schema(request=WordMergeSerializer, responses={200: ReviewedLineSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk=None) -> Response:
        word = self.get_object()
        data = WordMergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        other = self.get_queryset().filter(pk=data.validated_data["other"]).first()
        if other is None:
            return Response({"detail": "No such word."}, status=status.HTTP_404_NOT_FOUND)
        review.merge_words(word, other, request.user, data.validated_data.get("text"))
        return self._line(word.line_id)

    def _line(self, line_id: int) -> Response:
        line = review_selectors.lines_visible_to(self.request.user).get(pk=line_id)
        return Response(ReviewedLineSerializer(line).data)


class CharViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A character of a word: relabel it, mark it as not text, merge it with its
    neighbour or split it in two. Every change answers with the whole word."""

    serializer_class = ReviewedCharSerializer

    def get_queryset(self):
        return review_selectors.glyphs_visible_to(self.request.user)

    def _word(self, word_id: int) -> Response:
        word = review_selectors.words_visible_to(self.request.user).get(pk=word_id)
        return Response(ReviewedWordSerializer(word).data)

    @extend_schema(request=CorrectionSerializer, responses={200: ReviewedWordSerializer})
    def partial_update(self, request: Request, pk=None) -> Response:
        glyph = self.get_object()
        data = CorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "text" in data.validated_data:
            review.correct_char(glyph, data.validated_data["text"], request.user)
        else:
            review.set_not_text(glyph, request.user, data.validated_data["not_text"])
        return self._word(glyph.word_id)

    @extend_schema(request=MergeSerializer, responses={200: ReviewedWordSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk=None) -> Response:
        glyph = self.get_object()
        data = MergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        other = self.get_queryset().filter(pk=data.validated_data["other"]).first()
        if other is None:
            return Response({"detail": "No such character."}, status=status.HTTP_404_NOT_FOUND)
        review.merge_chars(glyph, other, data.validated_data["text"], request.user)
        return self._word(glyph.word_id)

    @extend_schema(request=SplitSerializer, responses={200: ReviewedWordSerializer})
    @action(detail=True, methods=["post"])
    def split(self, request: Request, pk=None) -> Response:
        glyph = self.get_object()
        data = SplitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review.split_char(glyph, data.validated_data["texts"], request.user, data.validated_data.get("at"))
        return self._word(glyph.word_id)


class SampleViewSet(viewsets.ReadOnlyModelViewSet):
    """Labelled samples from corrections: your own pages' (staff: everyone's)."""

    serializer_class = SampleSerializer

    def get_queryset(self):
        return review_selectors.samples_visible_to(self.request.user)


class ModelVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Model versions with their parent, data counts, metrics and, while one trains,
    its progress. Starting a run, activating and rolling back are for staff."""

    serializer_class = ModelVersionSerializer

    def get_queryset(self):
        return review_selectors.model_versions()

    def get_permissions(self):
        if self.action in ("train", "activate", "rollback"):
            return [IsAdminUser()]
        return super().get_permissions()

    @extend_schema(request=TrainSerializer, responses={202: ModelVersionSerializer, 409: None})
    @action(detail=False, methods=["post"])
    def train(self, request: Request) -> Response:
        data = TrainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = retraining.queue_training(user=request.user, options=dict(data.validated_data))
        return Response(ModelVersionSerializer(version).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: ModelVersionSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk=None) -> Response:
        version = retraining.activate_by_hand(self.get_object(), request.user)
        return Response(ModelVersionSerializer(version).data)

    @extend_schema(request=None, responses={200: ModelVersionSerializer, 409: None})
    @action(detail=False, methods=["post"])
    def rollback(self, request: Request) -> Response:
        version = retraining.rollback(request.user)
        return Response(ModelVersionSerializer(version).data)

    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="Training curves or a confusion matrix")})
    @action(detail=True, methods=["get"], url_path=r"figures/(?P<figure>curves|confusion|confusion-feedback)",
            url_name="figure")
    def figure(self, request: Request, pk=None, figure: str = "") -> FileResponse:
        path = Path(self.get_object().path) / f"{figure}.png"
        if not path.is_file():
            raise Http404("This model version has no such figure.")
        return FileResponse(path.open("rb"), content_type="image/png")
