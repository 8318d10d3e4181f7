from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "doanso.training"
    label = "training"
    verbose_name = "Chương trình rèn luyện đoàn viên"
