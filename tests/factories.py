"""factory_boy factories shared by the whole suite."""

import hashlib

import factory
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile

from accreditation import versions
from accreditation.models import (
    Application,
    Course,
    Document,
    Framework,
    Provider,
    ProviderIdentifier,
    ProviderMembership,
    SelfAssessment,
)
from demo.scenario import blank_pdf as pdf_bytes


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for name in extracted or ():
            self.groups.add(Group.objects.get_or_create(name=name)[0])
        if create:
            self.save()


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    legal_name = factory.Sequence(lambda n: f"Provider {n} University")
    country = "NL"
    type = Provider.Type.UNIVERSITY
    website = factory.Sequence(lambda n: f"https://provider{n}.example.org")


class IdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderIdentifier

    provider = factory.SubFactory(ProviderFactory)
    scheme = "schac"
    value = factory.Sequence(lambda n: f"provider{n}.example.org")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderMembership

    user = factory.SubFactory(UserFactory, roles=["provider"])
    provider = factory.SubFactory(ProviderFactory)


class CourseFactory(factory.django.DjangoModelFactory):
    """A course with every Annex I element filled in."""

    class Meta:
        model = Course
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    title = factory.Sequence(lambda n: f"Applied Data Literacy {n}")
    learning_outcomes = factory.LazyFunction(
        lambda: ["Explain core statistical concepts", "Clean and visualise a data set"]
    )
    workload_ects = 5
    eqf_level = 6
    qf_ehea_cycle = "first"
    isced_f = "0613"
    assessment_type = "Written exam and project"
    participation_form = "online"
    quality_assurance = "Internal QA of the university"
    languages = factory.LazyFunction(lambda: ["en"])

    @factory.post_generation
    def version(obj, create, extracted, **kwargs):
        """Version 1, as `course_create` records it (skipped for unsaved builds)."""
        if create:
            versions.record(course_id=obj.pk, actor=None, at=obj.created_at)


def framework(code):
    return Framework.objects.filter(code=code).order_by("-effective_from").first()


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    kind = Application.Kind.COURSE
    provider = factory.LazyAttribute(lambda a: a.course.provider if a.course else ProviderFactory())
    course = factory.SubFactory(CourseFactory)
    framework = factory.LazyAttribute(
        lambda a: framework("eu-mc-2022-principles" if a.course else "esg-2015-part1")
    )


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    application = factory.SubFactory(ApplicationFactory)
    kind = Document.Kind.SELF_EVALUATION
    original_name = "self-evaluation.pdf"
    uploaded_by = factory.SubFactory(UserFactory)
    file = factory.LazyFunction(lambda: ContentFile(pdf_bytes(), name="doc.pdf"))
    sha256 = factory.LazyAttribute(lambda d: hashlib.sha256(pdf_bytes()).hexdigest())
    size = factory.LazyAttribute(lambda d: len(pdf_bytes()))


def complete_dossier(application, user):
    """Fill `application`'s dossier so that `submit`'s guard passes."""
    DocumentFactory(application=application, kind=Document.Kind.SELF_EVALUATION, uploaded_by=user)
    if application.course_id:
        DocumentFactory(
            application=application,
            kind=Document.Kind.CREDENTIAL_SAMPLE,
            original_name="sample.pdf",
            uploaded_by=user,
        )
    for standard in application.framework.standards.all():
        SelfAssessment.objects.update_or_create(
            application=application,
            standard=standard,
            defaults={"narrative": f"How we meet {standard.title}."},
        )
    return application
