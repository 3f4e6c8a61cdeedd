"""News pages in ten languages, each with a query that should find it: a title word
with another ending (a plural, a case ending) or, for Chinese, Japanese and Korean,
a run of characters out of the headline. Written as `.html` files, as a user's saved
pages are, so the test covers extraction and language detection too."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Page:
    language: str
    title: str
    paragraphs: tuple[str, ...]
    #: Words of the title with another ending (or a CJK run of it), as a reader would type them.
    query: str


PAGES = (
    Page("en", "Floods wash away bridges across the northern valley", (
        "Heavy rain over the weekend swelled the rivers of the northern valley, and by Monday morning three bridges had been washed away.",
        "Farmers on the eastern bank said they were cut off from the market town, and the regional council promised temporary crossings within a week.",
        "Engineers warned that older stone structures upstream could also be at risk if the water keeps rising.",
    ), "flooded bridge"),
    Page("de", "Stürme beschädigen Häuser in ganz Bayern", (
        "Heftige Stürme haben in der Nacht zum Dienstag in weiten Teilen Bayerns Dächer abgedeckt und Bäume entwurzelt.",
        "Besonders betroffen waren kleinere Gemeinden im Süden, wo die Feuerwehr bis zum Morgen im Einsatz war und mehrere Straßen gesperrt wurden.",
        "Die Versicherungen rechnen mit Schäden in Millionenhöhe, verletzt wurde nach Angaben der Polizei niemand.",
    ), "Haus Sturm"),
    Page("fr", "Les agriculteurs bloquent les routes autour de Lyon", (
        "Des centaines d'agriculteurs ont bloqué mardi les principales routes autour de Lyon pour protester contre la baisse des prix du lait.",
        "Les tracteurs sont restés en place toute la journée, et la préfecture a appelé les automobilistes à éviter le secteur jusqu'au soir.",
        "Le syndicat agricole demande une rencontre avec le ministre et menace de poursuivre le mouvement la semaine prochaine.",
    ), "agriculteur route"),
    Page("es", "Los incendios forestales obligan a evacuar varios pueblos", (
        "Los bomberos luchan desde el domingo contra varios incendios forestales en el interior de la provincia, avivados por el viento y el calor.",
        "Las autoridades ordenaron evacuar cuatro pueblos como medida de precaución y habilitaron un polideportivo para acoger a los vecinos.",
        "Según los servicios de emergencia, las llamas han arrasado ya más de dos mil hectáreas de monte y pinar.",
    ), "incendio pueblo"),
    Page("ru", "Парламент принял новый закон о выборах", (
        "Депутаты парламента во вторник приняли в третьем чтении новый закон о выборах, который меняет порядок регистрации кандидатов.",
        "По словам авторов документа, поправки должны упростить работу избирательных комиссий и сократить число споров после голосования.",
        "Оппозиция критикует закон и заявляет, что новые правила затруднят участие небольших партий в кампании.",
    ), "выборы закона"),
    Page("ar", "الحكومة تعلن خطة جديدة للطاقة الشمسية", (
        "أعلنت الحكومة يوم الأحد عن خطة جديدة لتوسيع استخدام الطاقة الشمسية في المدن الكبرى خلال السنوات الخمس المقبلة.",
        "وتشمل الخطة بناء محطات كبيرة في الصحراء وتقديم قروض ميسرة للأسر التي تركب ألواحا شمسية على أسطح منازلها.",
        "وقال وزير الطاقة إن المشروع سيوفر آلاف الوظائف ويخفض فاتورة استيراد الوقود بشكل كبير.",
    ), "حكومة طاقة"),
    Page("tr", "Depremde yıkılan binalar yeniden inşa ediliyor", (
        "Geçen yıl meydana gelen depremde yıkılan binaların yerine yenilerinin inşası hızla devam ediyor.",
        "Belediye yetkilileri, yeni konutların depreme dayanıklı olacak şekilde sıkı denetimlerden geçtiğini açıkladı.",
        "Bölgedeki aileler, evlerine kavuşmak için gün saydıklarını ve inşaatların bir an önce bitmesini beklediklerini söylüyor.",
    ), "bina deprem"),
    Page("ja", "東京都で大雨による洪水被害が相次ぐ", (
        "東京都内では昨夜から記録的な大雨が降り続き、各地で川が氾濫して住宅が浸水する被害が相次いでいます。",
        "気象庁は土砂災害にも警戒するよう呼びかけており、一部の地域では住民に避難指示が出されました。",
        "鉄道各社は運転を見合わせており、通勤の足にも大きな影響が出ています。",
    ), "洪水被害"),
    Page("zh", "北京举办国际人工智能大会", (
        "第十届国际人工智能大会周二在北京开幕，来自三十多个国家的专家和企业代表参加了会议。",
        "与会者讨论了大型语言模型的安全问题以及人工智能在医疗和教育领域的应用前景。",
        "主办方表示，今年的展区面积比去年扩大了一倍，吸引了大量年轻观众前来参观。",
    ), "人工智能"),
    Page("ko", "서울시 새 지하철 노선 개통", (
        "서울시는 오늘 오전 새로운 지하철 노선을 개통하고 본격적인 운행을 시작했다고 밝혔다.",
        "새 노선은 도심과 외곽 신도시를 연결해 출퇴근 시간을 크게 줄일 것으로 기대된다.",
        "시민들은 첫날부터 많은 승객이 몰려 역마다 북적였으며 대체로 편리해졌다는 반응을 보였다.",
    ), "지하철"),
)


def page_html(page: Page) -> str:
    """A plain news page: the headline as <title> and <h1>, the story in an <article>."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in page.paragraphs)
    title = html.escape(page.title)
    return f"""<!doctype html>
<html lang="{page.language}"><head><meta charset="utf-8"><title>{title}</title></head>
<body><article><h1>{title}</h1>
{body}
</article></body></html>
"""


def write_pages(folder: Path) -> Path:
    """The pages as `<language>.html` files in `folder`; their article ids are `<folder name>/<language>`."""
    folder.mkdir(parents=True, exist_ok=True)
    for page in PAGES:
        (folder / f"{page.language}.html").write_text(page_html(page), encoding="utf-8")
    return folder
