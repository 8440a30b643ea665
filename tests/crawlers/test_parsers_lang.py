"""Script-based language detection."""
import pytest

from crawlers.parsers.lang import detect_language


@pytest.mark.parametrize("text, expected", [
    ("정부가 반도체 패키징 등 주력산업의 급소 기술을 확보하기 위해 산업 연구개발을 외국기관에 개방한다.", "ko"),
    ("과학기술정보통신부(MSIT)는 AI 반도체 R&D에 1,000억원을 투자한다고 밝혔다.", "ko"),   # Hangul with Latin
    ("經濟産業省は量子コンピュータの開発に向けた新たな戦略を発表した。", "ja"),
    ("国务院关于印发新一代人工智能发展规划的通知", "zh"),
    ("The Commerce Department announced new controls on advanced semiconductor equipment.", "en"),
    ("Die Kommission hat heute neue Regeln für die Ausfuhr von Halbleitern vorgeschlagen, die auch für KI gelten.", "de"),
    ("La Commission a présenté une stratégie pour les semi-conducteurs et les technologies quantiques.", "fr"),
])
def test_scripts_and_languages(text, expected):
    assert detect_language(text) == expected


def test_short_or_empty_text_keeps_the_default():
    assert detect_language("", default="ko") == "ko"
    assert detect_language("AI", default="ja") == "ja"
    assert detect_language(None or "", default=None) is None


def test_latin_text_without_function_words_on_a_korean_source_is_english():
    assert detect_language("Quantum Computing Roadmap 2030 Semiconductor Strategy", default="ko") == "en"
    assert detect_language("Quantum Computing Roadmap 2030 Semiconductor Strategy", default="de") == "de"


def test_korean_page_with_many_hanja_is_still_korean():
    assert detect_language("韓國 政府는 半導體 産業을 育成하기 위한 計劃을 發表했다") == "ko"
