"""The offline extractive summariser: key sentences per language; the chat backend stays off unless configured."""
from analysis.summarise import ChatSummariser, ExtractiveSummariser, get_summariser, sentences

TEXTS = [
    "Sulfide solid electrolytes raise the ionic conductivity of all-solid-state batteries. "
    "The weather was pleasant on the day of filing. "
    "A sulfide solid electrolyte layer is pressed onto the lithium metal anode of the all-solid-state battery.",
    "황화물 고체전해질은 전고체 전지의 이온전도도를 높인다. 회의는 오후에 열렸다. "
    "전고체 전지의 황화물 고체전해질 시트를 압착하는 방법을 개발했다.",
    "Export controls now cover sulfide solid electrolyte production equipment for all-solid-state batteries.",
]


def test_key_sentences_are_chosen_per_language():
    s = ExtractiveSummariser()
    en = s.summarise(TEXTS, "en", n=2)
    assert len(en) == 2 and all("solid electrolyte" in x for x in en)
    ko = s.summarise(TEXTS, "ko", n=1)
    assert len(ko) == 1 and "고체전해질" in ko[0] and "회의" not in ko[0]
    assert all("회의" not in x and "weather" not in x for x in sentences(TEXTS, "ko") if "고체" in x)


def test_the_chat_backend_is_off_unless_configured():
    assert isinstance(get_summariser({}), ExtractiveSummariser)
    chat = get_summariser({"EWS_SUMMARY_URL": "http://127.0.0.1:9/v1", "EWS_SUMMARY_MODEL": "m"})
    assert isinstance(chat, ChatSummariser) and chat.url == "http://127.0.0.1:9/v1/chat/completions"


def test_empty_input_gives_no_sentences():
    assert ExtractiveSummariser().summarise([], "en") == [] and ExtractiveSummariser().summarise([""], "ko") == []
